#!/usr/bin/env python3
"""ci/bench_shm.py: guest -> guest over one shm link against the same pair over TAPs (the monitors' TAP offloads on,
the default, and off), over TAPs with an impairment
set to do nothing (carried by the first end's monitor on its TAP NIC), over an shm link through the sending monitor's IO thread (a no-op impairment,
loss 0%; or a capture) and the raw-TAP ceiling (a host program reading a TAP fed by udpgen), 1300-B UDP, and
guest <-> guest ping (ping-guest -> ping-serve) over shm, the mediated shm link and TAPs; rounds interleaved in one
run; prints and writes the ratios.

    python3 ci/bench_shm.py [--repeats 3] [--seconds 2] [--rows shm,tap,tap_nooffload] [--json results/bench-shm.json]

The TAP pair with offloads (`--shm-offloads=1`, the default) writes a run of one flow's datagrams as one GSO frame, so
the kernel handles one skb per ~32 datagrams; with `--shm-offloads=0` every datagram is its own write and read, one
skb per datagram: the kernel in the path per packet, what the shm/tap goal was set against. Both rows run in every
round and the shm/tap ratio is given against each.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import bench_udp_rx
from bench_lab import lab_namespace
from testbed.lab import Lab
from testbed.paths import MONITOR_ENV, monitor_path

PAYLOAD = 1300 - 14 - 20 - 8


# What each kind of link is in the topology: shm direct, TAPs, TAPs impaired doing nothing, and the shm link
# through the first end's IO thread with a no-op engine or a capture (a small snaplen and a ring of two files bound
# the disk a 2-s flood writes).
LINKS = {
    "shm": "type: shm",
    "tap": "type: tap",
    "tap_nooffload": "type: tap",  # the same TAP pair, its monitors started with --shm-offloads=0 (monitor_flags)
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


# Pair rows whose monitors get extra flags (through a wrapper named by TESTBED_MONITOR, as CI's sanitizer builds are).
MONITOR_FLAGS = {"tap_nooffload": ["--shm-offloads=0"]}
ROWS = ("ceiling", "shm", "tap", "tap_nooffload", "impaired", "shm_noop", "shm_capture", "ping_shm", "ping_shm_noop",
        "ping_tap")


@contextmanager
def monitor_flags(folder: Path, flags: list[str]):
    """Within the block, labs start their monitors with `flags` first: a wrapper script that execs the real monitor."""
    if not flags:
        yield
        return
    wrapper = folder / "tb-monitor-with-flags"
    quoted = " ".join(f"'{flag}'" for flag in flags)
    wrapper.write_text(f'#!/bin/sh\nexec \'{monitor_path()}\' {quoted} "$@"\n')
    wrapper.chmod(0o755)
    saved = os.environ.get(MONITOR_ENV)
    os.environ[MONITOR_ENV] = str(wrapper)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(MONITOR_ENV, None)
        else:
            os.environ[MONITOR_ENV] = saved
        wrapper.unlink(missing_ok=True)


def pair_row(folder: Path, link_type: str, args) -> dict:
    flags = MONITOR_FLAGS.get(link_type, [])
    with monitor_flags(folder, flags):
        return {**guest_pair(pair_topology(folder, link_type, args.io, args.seconds)), "monitor_flags": flags}


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
    if "--shm-offloads=0" in row.get("monitor_flags", []):
        return 1.0  # a plain TAP reads one frame per read (the monitor counts TAP reads only on its offload path)
    return row["rx_packets"] / row["rx_tap_reads"] if row.get("rx_tap_reads") else float("nan")


# Per-round ratios: name -> (numerator row, denominator row); each is computed when the run has both rows.
RATIOS = {"shm_over_ceiling": ("shm", "ceiling"), "shm_over_tap": ("shm", "tap"),
          "shm_over_tap_nooffload": ("shm", "tap_nooffload"), "tap_over_tap_nooffload": ("tap", "tap_nooffload"),
          "shm_over_impaired": ("shm", "impaired"),
          # What the monitor thread costs: the mediated links' rates as a share of the direct link's.
          "noop_over_shm": ("shm_noop", "shm"), "capture_over_shm": ("shm_capture", "shm"),
          "noop_over_impaired": ("shm_noop", "impaired")}
GOALS = {"shm_over_ceiling": ">= 2", "shm_over_tap": ">= 5", "shm_over_tap_nooffload": ">= 5"}


def run_row(name: str, folder: Path, args) -> dict:
    if name == "ceiling":
        return ceiling(args)
    if name.startswith("ping_"):
        return guest_ping(ping_topology(folder, name.removeprefix("ping_"), args.io, args.pings))
    return pair_row(folder, name, args)


def describe(name: str, row: dict) -> str:
    if name.startswith("ping_"):
        return f"{name} p50 {row['rtt_p50_us']} us"
    text = f"{name} {row['pps']:,.0f} pps"
    if name.startswith("tap"):
        text += f" ({tap_datagrams_per_skb(row):.1f} datagrams per TAP frame)"
    return text


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--io", default="event", choices=("poll", "event", "hybrid"))
    parser.add_argument("--pings", type=int, default=1000, help="echoes per ping round")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, run in this order (all: {','.join(ROWS)})")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = args.rows.split(",")
    if unknown := set(rows) - set(ROWS):
        parser.error(f"--rows: unknown {', '.join(sorted(unknown))} (known: {', '.join(ROWS)})")
    with open("/proc/loadavg") as load:
        load_before = " ".join(load.read().split()[:3])
    print(f"load average before the run: {load_before}", flush=True)
    rounds: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tbbench-shm-") as tmp:
        for r in range(args.repeats):
            row = {name: run_row(name, Path(tmp), args) for name in rows}
            for ratio, (top, bottom) in RATIOS.items():
                if top in row and bottom in row:
                    row[ratio] = row[top]["pps"] / row[bottom]["pps"]
            rounds.append(row)
            ratios = ", ".join(f"{ratio} {row[ratio]:.2f}" for ratio in RATIOS if ratio in row)
            exits = f"; shm exits/packet {row['shm']['exits_per_packet']:.4f}" if "shm" in row else ""
            print(f"round {r + 1}: " + ", ".join(describe(name, row[name]) for name in rows) + f"; {ratios}{exits}",
                  flush=True)
    with open("/proc/loadavg") as load:
        load_after = " ".join(load.read().split()[:3])
    median: dict = {ratio: statistics.median(row[ratio] for row in rounds) for ratio in RATIOS if ratio in rounds[0]}
    ranges = {ratio: [min(row[ratio] for row in rounds), max(row[ratio] for row in rounds)] for ratio in median}
    if "shm" in rows:
        median["shm_exits_per_packet"] = statistics.median(row["shm"]["exits_per_packet"] for row in rounds)
    for kind in ("shm", "shm_noop", "tap"):
        if f"ping_{kind}" in rows:
            median[f"ping_{kind}_p50_us"] = statistics.median(row[f"ping_{kind}"]["rtt_p50_us"] for row in rounds)
            median[f"ping_{kind}_p99_us"] = statistics.median(row[f"ping_{kind}"]["rtt_p99_us"] for row in rounds)
    print(f"load average after the run: {load_after}")
    print(f"medians over {args.repeats} rounds (range): " + ", ".join(
        f"{ratio} {spread([row[ratio] for row in rounds])}" + (f" (goal {GOALS[ratio]})" if ratio in GOALS else "")
        for ratio in ranges))
    extra = [f"{key} {value:.4f}" if "exits" in key else f"{key} {value:.1f}" for key, value in median.items()
             if key not in ranges]
    if extra:
        print("medians: " + ", ".join(extra) + " (goals: exits/packet <= 0.01, ping p50 <= 30 us)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"bench": "shm", "io": args.io, "frame_bytes": 1300, "load_before": load_before,
                                         "load_after": load_after, "rounds": rounds, "medians": median,
                                         "ranges": ranges}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
