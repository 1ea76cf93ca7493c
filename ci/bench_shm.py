#!/usr/bin/env python3
"""ci/bench_shm.py: guest -> guest over one shm link against the same pair over TAPs (the monitors' TAP offloads on,
the default, and off), over TAPs with an impairment
set to do nothing (carried by the first end's monitor on its TAP NIC), over an shm link through the sending monitor's IO thread (a no-op impairment,
loss 0%; or a capture) and the raw-TAP ceiling (a host program reading a TAP fed by udpgen), 1300-B UDP, and
guest <-> guest ping (ping-guest -> ping-serve) over shm, the mediated shm link and TAPs; rounds interleaved in one
run; prints and writes the ratios.

    python3 ci/bench_shm.py [--repeats 3] [--seconds 2] [--rows shm,tap,tap_nooffload] [--json results/bench-shm.json]
    python3 ci/bench_shm.py --rows ping_shm,ping_shm_mediated,ping_tap \
        --ping-variants event/exit,hybrid/exit,event/hlt:0,event/hlt:200000,event/hlt:200000/pin

Ping rows run once per --ping-variants entry, MODE/SLEEP[/pin] (SLEEP: exit, hlt or hlt:NS, the nodes' sleep: and
halt_poll_ns:; pin: each guest's vCPU on its own core, a on 0, b on 1), interleaved in every round. Only an end whose
monitor wakes its guest can sleep halted: both ends over TAPs or the doubly mediated shm link (ping_shm_mediated: a
no-op impairment at a, a capture at b), the first end of ping_shm_noop, neither end of a direct link (hlt variants of
ping_shm are skipped). Each ping row records p50/p99 and both guests' vCPU (and IO thread) CPU per echo.

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
    # Both ends' monitors carry the link (a impairs doing nothing, b captures), so both guests may sleep halted.
    "shm_mediated": "type: shm, impair: {loss: 0%}, capture: {at: 'b:service0', files: 2, size: 1MB, snaplen: 64}",
}
# Which ends of a ping link may sleep: hlt (their monitor's IO thread wakes them; a direct shm end's peer kicks only
# a guest sleeping in its POLL exit).
HLT_ENDS = {"shm": (), "shm_noop": ("a",), "shm_mediated": ("a", "b"), "tap": ("a", "b")}


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
        "ping_shm_mediated", "ping_tap")


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


class PingVariant(SimpleNamespace):
    """MODE/SLEEP[/pin] from --ping-variants: the io mode, sleep: and halt_poll_ns: of both guests, vCPU placement."""

    @classmethod
    def parse(cls, text: str) -> PingVariant:
        parts = text.split("/")
        if len(parts) not in (2, 3) or parts[0] not in ("poll", "event", "hybrid") or parts[2:] not in ([], ["pin"]):
            raise ValueError(f"{text!r}: write MODE/SLEEP[/pin], e.g. event/hlt:200000/pin")
        how, _, ns = parts[1].partition(":")
        if how not in ("exit", "hlt") or (ns and (how != "hlt" or not ns.isdigit())):
            raise ValueError(f"{text!r}: SLEEP is exit, hlt or hlt:NS")
        return cls(text=text, io=parts[0], sleep=how, halt_poll_ns=int(ns) if ns else None, pin=len(parts) == 3)

    def node_fields(self, node: str, link_type: str) -> str:
        fields = ""
        if self.sleep == "hlt" and node in HLT_ENDS[link_type]:
            fields += ", sleep: hlt" + (f", halt_poll_ns: {self.halt_poll_ns}" if self.halt_poll_ns is not None else "")
        if self.pin:
            fields += f", cpus: {{vcpu: {'ab'.index(node)}}}"
        return fields

    def applies_to(self, link_type: str) -> bool:
        return self.sleep == "exit" or bool(HLT_ENDS[link_type])


def ping_topology(folder: Path, link_type: str, variant: PingVariant, count: int) -> Path:
    path = folder / f"ping-{link_type}-{variant.text.replace('/', '-').replace(':', '')}.yaml"
    path.write_text(f"""name: benchshmping
nodes:
  a: {{kind: unikernel, image: ping-guest, io: {variant.io}, memory: 16, args: [--to=10.34.0.2, --count={count}]\
{variant.node_fields("a", link_type)}}}
  b: {{kind: unikernel, image: ping-serve, io: {variant.io}, memory: 16{variant.node_fields("b", link_type)}}}
links:
  - {{endpoints: [a:service0, b:service0], subnet: 10.34.0.0/24, {LINKS[link_type]}}}
""")
    return path


def guest_ping(topology: Path, timeout: float = 60) -> dict:
    """ping-guest's summary, and what both guests spent: vCPU and IO thread CPU seconds, how they were woken."""
    done = []
    with Lab.up(topology, name_prefix="bshm") as lab:
        deadline = time.monotonic() + timeout
        while not done and time.monotonic() < deadline:
            done = [json.loads(line) for line in lab.console("a").splitlines() if line.startswith('{"summary"')]
            time.sleep(0.05)
    if not done:
        raise RuntimeError(f"{topology.name}: ping-guest printed no summary")
    return {**done[0], **ping_costs([lab.stats(node) or {} for node in ("a", "b")])}


def ping_costs(stats: list[dict]) -> dict:
    def total(get) -> float:
        return sum(get(s) or 0 for s in stats)
    return {"vcpu_s": total(lambda s: s.get("cpu_seconds", {}).get("vcpu")),
            "io_s": total(lambda s: s.get("cpu_seconds", {}).get("io")),
            "hlt_wakes": total(lambda s: (s.get("sleep") or {}).get("io_hlt_wakes")),
            "poll_exits": total(lambda s: s.get("hypercalls", {}).get("poll")),
            "halt_polls_ok": total(lambda s: s.get("kvm_vcpu", {}).get("halt_successful_poll")),
            "halt_polls_tried": total(lambda s: s.get("kvm_vcpu", {}).get("halt_attempted_poll"))}


def ping_row(folder: Path, link: str, variant: PingVariant, count: int) -> dict:
    """A run of `count` echoes and, right after it, the same lab with one echo: the difference in CPU over count - 1
    is what an echo costs, without the boot (14-40 ms of vCPU: the guest's page faults are emulated)."""
    row = guest_ping(ping_topology(folder, link, variant, count))
    one = guest_ping(ping_topology(folder, link, variant, 1))
    per_echo = 1e6 / (count - 1)
    return {**row, "vcpu_us_per_ping": (row["vcpu_s"] - one["vcpu_s"]) * per_echo,
            "io_us_per_ping": (row["io_s"] - one["io_s"]) * per_echo}


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


def run_rows(name: str, folder: Path, args) -> dict[str, dict]:
    """A row by its name; a ping row once per ping variant that applies to its link, as NAME[VARIANT]."""
    if name == "ceiling":
        return {name: ceiling(args)}
    if name.startswith("ping_"):
        link = name.removeprefix("ping_")
        return {ping_key(name, v, args): ping_row(folder, link, v, args.pings)
                for v in args.ping_variants if v.applies_to(link)}
    return {name: pair_row(folder, name, args)}


def ping_key(name: str, variant: PingVariant, args) -> str:
    """The bare row name for the run's own mode with exit sleep (as before variants), else NAME[MODE/SLEEP...]."""
    return name if variant.text == f"{args.io}/exit" else f"{name}[{variant.text}]"


def describe(name: str, row: dict) -> str:
    if name.startswith("ping_"):
        return (f"{name} p50 {row['rtt_p50_us']:.0f} p99 {row['rtt_p99_us']:.0f} us, "
                f"vCPU {row['vcpu_us_per_ping']:.1f} us/ping (hlt wakes {row['hlt_wakes']:.0f}, "
                f"halt polls {row['halt_polls_ok']:.0f}/{row['halt_polls_tried']:.0f})")
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
    parser.add_argument("--pings", type=int, default=1000, help="echoes per ping round (at least 2)")
    parser.add_argument("--ping-variants", default=None, help="comma-separated MODE/SLEEP[/pin] for the ping rows "
                        "(default: --io's mode with exit), e.g. event/exit,hybrid/exit,event/hlt:200000/pin")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, run in this order (all: {','.join(ROWS)})")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = args.rows.split(",")
    if unknown := set(rows) - set(ROWS):
        parser.error(f"--rows: unknown {', '.join(sorted(unknown))} (known: {', '.join(ROWS)})")
    if args.pings < 2:
        parser.error("--pings: at least 2 (CPU per echo is taken against a one-echo run)")
    try:
        args.ping_variants = [PingVariant.parse(v) for v in (args.ping_variants or f"{args.io}/exit").split(",")]
    except ValueError as exc:
        parser.error(f"--ping-variants: {exc}")
    with open("/proc/loadavg") as load:
        load_before = " ".join(load.read().split()[:3])
    print(f"load average before the run: {load_before}", flush=True)
    rounds: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tbbench-shm-") as tmp:
        for r in range(args.repeats):
            row = {key: result for name in rows for key, result in run_rows(name, Path(tmp), args).items()}
            for ratio, (top, bottom) in RATIOS.items():
                if top in row and bottom in row:
                    row[ratio] = row[top]["pps"] / row[bottom]["pps"]
            rounds.append(row)
            ratios = ", ".join(f"{ratio} {row[ratio]:.2f}" for ratio in RATIOS if ratio in row)
            exits = f"; shm exits/packet {row['shm']['exits_per_packet']:.4f}" if "shm" in row else ""
            print(f"round {r + 1}: " + ", ".join(describe(name, row[name]) for name in row if name not in RATIOS)
                  + f"; {ratios}{exits}", flush=True)
    with open("/proc/loadavg") as load:
        load_after = " ".join(load.read().split()[:3])
    median: dict = {ratio: statistics.median(row[ratio] for row in rounds) for ratio in RATIOS if ratio in rounds[0]}
    ranges = {ratio: [min(row[ratio] for row in rounds), max(row[ratio] for row in rounds)] for ratio in median}
    if "shm" in rows:
        median["shm_exits_per_packet"] = statistics.median(row["shm"]["exits_per_packet"] for row in rounds)
    ping_ratios: dict[str, list[float]] = {}
    for key in (key for key in rounds[0] if key.startswith("ping_")):
        for figure in ("rtt_p50_us", "rtt_p99_us", "vcpu_us_per_ping", "io_us_per_ping"):
            median[f"{key}_{figure.removeprefix('rtt_')}"] = statistics.median(row[key][figure] for row in rounds)
        bare = key.split("[")[0]
        if bare != key and bare in rounds[0]:  # a variant against its link's own row, round by round
            ping_ratios[key] = [row[key]["rtt_p50_us"] / row[bare]["rtt_p50_us"] for row in rounds]
    print(f"load average after the run: {load_after}")
    print(f"medians over {args.repeats} rounds (range): " + ", ".join(
        f"{ratio} {spread([row[ratio] for row in rounds])}" + (f" (goal {GOALS[ratio]})" if ratio in GOALS else "")
        for ratio in ranges))
    extra = [f"{key} {value:.4f}" if "exits" in key else f"{key} {value:.1f}" for key, value in median.items()
             if key not in ranges]
    if extra:
        print("medians: " + ", ".join(extra) + " (goals: exits/packet <= 0.01, ping p50 <= 30 us)")
    if ping_ratios:
        print("ping p50 / its link's own row, per round: " + ", ".join(
            f"{key} {spread(values)}" for key, values in ping_ratios.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"bench": "shm", "io": args.io, "frame_bytes": 1300, "load_before": load_before,
                                         "ping_variants": [v.text for v in args.ping_variants],
                                         "load_after": load_after, "rounds": rounds, "medians": median,
                                         "ranges": ranges, "ping_p50_ratios": ping_ratios}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
