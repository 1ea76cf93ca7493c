#!/usr/bin/env python3
"""ci/bench_shm.py: guest -> guest over one shm link against the same pair over TAPs, over TAPs with an impairment
set to do nothing (carried by the first end's monitor on its TAP NIC), over an shm link through the sending monitor's IO thread (a no-op impairment,
loss 0%; or a capture) and the raw-TAP ceiling (a host program reading a TAP fed by udpgen), 1300-B UDP, and
guest <-> guest ping (ping-guest -> ping-serve) over shm, the mediated shm link and TAPs; rounds interleaved in one
run; prints and writes the ratios.

    python3 ci/bench_shm.py [--repeats 3] [--seconds 2] [--json results/bench-shm.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import bench_udp_rx
from bench_lab import lab_namespace
from testbed.lab import Lab

PAYLOAD = 1300 - 14 - 20 - 8


# What each kind of link is in the topology: shm direct, TAPs, TAPs impaired doing nothing, and the shm link
# through the first end's IO thread with a no-op engine or a capture (a small snaplen and a ring of two files bound
# the disk a 2-s flood writes).
LINKS = {
    "shm": "type: shm",
    "tap": "type: tap",
    "impaired": "type: tap, impair: {loss: 0%}",
    "shm_noop": "type: shm, impair: {loss: 0%}",
    "shm_capture": "type: shm, capture: {files: 2, size: 16MB, snaplen: 128}",
}


def pair_topology(folder: Path, link_type: str, io: str, seconds: float) -> Path:
    """link_type: a key of LINKS."""
    path = folder / f"pair-{link_type}-{io}.yaml"
    link = LINKS[link_type]
    path.write_text(f"""name: benchshm
nodes:
  src: {{kind: unikernel, image: udp-source, io: {io}, memory: 16,
        args: [--dst=10.33.0.2:5000, --size={PAYLOAD}, --seconds={seconds + 1.5}]}}
  dst: {{kind: unikernel, image: udp-sink, io: {io}, memory: 16, args: [--seconds={seconds}]}}
links:
  - {{endpoints: [src:service0, dst:service0], subnet: 10.33.0.0/24, {link}}}
""")
    return path


def guest_pair(topology: Path, timeout: float = 60) -> dict:
    """The sink's own window (from its first datagram): packets/s, and its monitor's exits per packet."""
    with Lab.up(topology, name_prefix="bshm") as lab:
        deadline = time.monotonic() + timeout
        summary = None
        while summary is None and time.monotonic() < deadline:
            summary = next((json.loads(line) for line in lab.console("dst").splitlines()
                            if line.startswith('{"summary"')), None)
            time.sleep(0.05)
    if summary is None:
        raise RuntimeError(f"{topology.name}: the sink printed no summary")
    src_stats = lab.stats("src") or {}
    stats = lab.stats("dst") or {}
    packets = summary["rx_packets"]
    return {"pps": summary["pps"], "rx_packets": packets,
            "exits_per_packet": stats.get("vm_exits", 0) / packets if packets else None,
            **tap_batching(src_stats, stats)}


def tap_batching(src_stats: dict, dst_stats: dict) -> dict:
    """On a TAP pair, how the datagrams crossed the host: the sender's IO thread writes runs of one flow as GSO
    frames (one skb through the kernel for many datagrams) and the receiver's splits them back into slots."""
    def nic(stats: dict) -> dict:
        return (stats.get("shmstream") or {}).get("nics", {}).get("net0", {})
    return {"tx_gso_frames": nic(src_stats).get("tx_gso_frames", 0),
            "rx_tap_reads": nic(dst_stats).get("rx_tap_reads", 0),
            "rx_gso_frames": nic(dst_stats).get("rx_gso_frames", 0)}


def ping_topology(folder: Path, link_type: str, io: str, count: int) -> Path:
    path = folder / f"ping-{link_type}-{io}.yaml"
    path.write_text(f"""name: benchshmping
nodes:
  a: {{kind: unikernel, image: ping-guest, io: {io}, memory: 16, args: [--to=10.34.0.2, --count={count}]}}
  b: {{kind: unikernel, image: ping-serve, io: {io}, memory: 16}}
links:
  - {{endpoints: [a:service0, b:service0], subnet: 10.34.0.0/24, {LINKS[link_type]}}}
""")
    return path


def guest_ping(topology: Path, timeout: float = 60) -> dict:
    with Lab.up(topology, name_prefix="bshm") as lab:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [json.loads(line) for line in lab.console("a").splitlines() if line.startswith('{"summary"')]
            if done:
                return done[0]
            time.sleep(0.05)
    raise RuntimeError(f"{topology.name}: ping-guest printed no summary")


def ceiling(args) -> dict:
    options = SimpleNamespace(cpus="none", seconds=args.seconds, ceiling_busy=False, flood_gso=1, sink="udp-sink",
                              nic="service0", monitor_flags=[])
    variant = bench_udp_rx.Variant(bench_udp_rx.CEILING, None)
    with lab_namespace() as labns, tempfile.TemporaryDirectory(prefix="tbbench-") as tmp:
        return bench_udp_rx.flood_phase(labns, variant, options, Path(tmp) / "stats.json")


def tap_datagrams_per_skb(row: dict) -> float:
    """Datagrams the sink took per frame its monitor read from the TAP (1.0: no GSO on the way)."""
    return row["rx_packets"] / row["rx_tap_reads"] if row.get("rx_tap_reads") else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--io", default="event", choices=("poll", "event", "hybrid"))
    parser.add_argument("--pings", type=int, default=1000, help="echoes per ping round")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rounds: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tbbench-shm-") as tmp:
        folder = Path(tmp)
        for r in range(args.repeats):
            row = {"ceiling": ceiling(args),
                   "shm": guest_pair(pair_topology(folder, "shm", args.io, args.seconds)),
                   "tap": guest_pair(pair_topology(folder, "tap", args.io, args.seconds)),
                   "impaired": guest_pair(pair_topology(folder, "impaired", args.io, args.seconds)),
                   "shm_noop": guest_pair(pair_topology(folder, "shm_noop", args.io, args.seconds)),
                   "shm_capture": guest_pair(pair_topology(folder, "shm_capture", args.io, args.seconds)),
                   "ping_shm": guest_ping(ping_topology(folder, "shm", args.io, args.pings)),
                   "ping_shm_noop": guest_ping(ping_topology(folder, "shm_noop", args.io, args.pings)),
                   "ping_tap": guest_ping(ping_topology(folder, "tap", args.io, args.pings))}
            row["shm_over_ceiling"] = row["shm"]["pps"] / row["ceiling"]["pps"]
            row["shm_over_tap"] = row["shm"]["pps"] / row["tap"]["pps"]
            row["shm_over_impaired"] = row["shm"]["pps"] / row["impaired"]["pps"]
            # What the monitor thread costs: the mediated links' rates as a share of the direct link's.
            row["noop_over_shm"] = row["shm_noop"]["pps"] / row["shm"]["pps"]
            row["capture_over_shm"] = row["shm_capture"]["pps"] / row["shm"]["pps"]
            row["noop_over_impaired"] = row["shm_noop"]["pps"] / row["impaired"]["pps"]
            rounds.append(row)
            print(f"round {r + 1}: ceiling {row['ceiling']['pps']:,.0f} pps, shm {row['shm']['pps']:,.0f}, "
                  f"tap {row['tap']['pps']:,.0f} ({tap_datagrams_per_skb(row['tap']):.1f} datagrams per TAP frame), "
                  f"impaired {row['impaired']['pps']:,.0f}; shm/ceiling {row['shm_over_ceiling']:.2f}, "
                  f"shm/tap {row['shm_over_tap']:.1f}, shm exits/packet {row['shm']['exits_per_packet']:.4f}; "
                  f"ping p50 shm {row['ping_shm']['rtt_p50_us']} us, tap {row['ping_tap']['rtt_p50_us']} us; "
                  f"through the monitor: no-op {row['shm_noop']['pps']:,.0f} pps ({row['noop_over_shm']:.2f} of shm, "
                  f"{row['noop_over_impaired']:.1f}x tap+impair), capture {row['shm_capture']['pps']:,.0f} "
                  f"({row['capture_over_shm']:.2f} of shm), ping p50 {row['ping_shm_noop']['rtt_p50_us']} us",
                  flush=True)
    median = {key: statistics.median(row[key] for row in rounds) for key in (
        "shm_over_ceiling", "shm_over_tap", "shm_over_impaired", "noop_over_shm", "capture_over_shm",
        "noop_over_impaired")}
    median["shm_exits_per_packet"] = statistics.median(row["shm"]["exits_per_packet"] for row in rounds)
    for kind in ("shm", "shm_noop", "tap"):
        median[f"ping_{kind}_p50_us"] = statistics.median(row[f"ping_{kind}"]["rtt_p50_us"] for row in rounds)
        median[f"ping_{kind}_p99_us"] = statistics.median(row[f"ping_{kind}"]["rtt_p99_us"] for row in rounds)
    print(f"medians over {args.repeats} rounds: shm/ceiling {median['shm_over_ceiling']:.2f} (goal >= 2), "
          f"shm/tap {median['shm_over_tap']:.1f} (goal >= 5), shm/impaired {median['shm_over_impaired']:.1f}, shm exits/packet {median['shm_exits_per_packet']:.4f} "
          f"(goal <= 0.01); ping p50 shm {median['ping_shm_p50_us']:.1f} us (goal <= 30), "
          f"tap {median['ping_tap_p50_us']:.1f} us; through the monitor thread: no-op {median['noop_over_shm']:.2f} of "
          f"shm ({median['noop_over_impaired']:.1f}x tap+impair), capture {median['capture_over_shm']:.2f} of shm, "
          f"ping p50 {median['ping_shm_noop_p50_us']:.1f} us")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"bench": "shm", "io": args.io, "frame_bytes": 1300, "rounds": rounds,
                                         "medians": median}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
