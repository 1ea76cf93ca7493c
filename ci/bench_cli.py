"""bench_cli: the `ci/bench` command line: picks a benchmark, runs it, prints its table and writes its JSON."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
from pathlib import Path

from rich.console import Console

import bench_report


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if not m.replace("-", "").replace("_", "").isalnum()]
    if bad:
        raise argparse.ArgumentTypeError(f"{bad[0]!r} is not an --io mode name")
    return modes


LINKS_PARTS = ("throughput", "loss", "delay", "rate", "capture")  # bench_links.PARTS, without importing testbed here


def _links_parts(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in parts if p not in LINKS_PARTS]
    if bad or not parts:
        raise argparse.ArgumentTypeError(f"{(bad or [text])[0]!r} is not a part ({', '.join(LINKS_PARTS)})")
    return parts


def _intervals(text: str) -> list[float]:
    """--ping-intervals: positive seconds, comma-separated."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds, comma-separated, e.g. 0.005,0.001,0.0002") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each interval must be > 0 seconds")
    return values


def _sleeps(text: str) -> list[str]:
    """--sleeps: exit, hlt or hlt:NS (NS an integer >= 0), comma-separated."""
    sleeps = [s.strip() for s in text.split(",") if s.strip()]
    for s in sleeps:
        if s not in ("exit", "hlt") and not (s.startswith("hlt:") and s[4:].isdigit()):
            raise argparse.ArgumentTypeError(f"{s!r} is not a sleep (exit, hlt, hlt:NS)")
    return sleeps or ["exit"]


def _bounded(kind, low: float, high: float = float("inf"), low_open: bool = True):
    """An argparse type: kind(text) within (low, high] (or [low, high] when low_open is False)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if value < low or (low_open and value == low) or value > high:
            raise argparse.ArgumentTypeError(f"{text} is out of range")
        return value
    return parse


def _sizes(text: str) -> list[int]:
    """Comma-separated node counts; empty for none."""
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of node counts") from None
    if any(n < 2 for n in sizes):
        raise argparse.ArgumentTypeError(f"{text}: every size must be at least 2 nodes")
    return sizes


def _shapes(text: str) -> list[str]:
    shapes = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in shapes if s not in ("chain", "star")]
    if bad:
        raise argparse.ArgumentTypeError(f"{bad[0]!r} is not a shape (chain, star)")
    return shapes


def _flags(text: str) -> list[str]:
    """--monitor-flags: comma-separated tb-monitor flags."""
    return [f for f in text.split(",") if f]


def _positive(kind):
    return _bounded(kind, 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ci/bench", description="testbed benchmarks: tables and JSON, "
                                     "ratios measured within one run (this machine is shared and noisy).")
    sub = parser.add_subparsers(dest="bench", required=True, metavar="BENCH")
    boot = sub.add_parser("boot", help="hello boot-to-exit wall time")
    boot.add_argument("--runs", type=_positive(int), default=20)
    stop = sub.add_parser("stop", help="SIGTERM to exit per state: ring-3 spin, PUTS on a full pipe, idle per --io mode")
    stop.add_argument("--runs", type=_positive(int), default=10)
    rx = sub.add_parser("udp-rx", help="UDP receive: the raw-TAP ceiling, then udp-sink per --io mode")
    rx.add_argument("--seconds", type=_positive(float), default=5.0, help="flood length per repeat")
    rx.add_argument("--repeats", type=_positive(int), default=3)
    rx.add_argument("--modes", type=_modes, default=["hypercall"], help="comma-separated --io modes (empty: the ceiling only)")
    rx.add_argument("--sink", default="udp-sink", help="guest image receiving the flood")
    rx.add_argument("--ping", type=_bounded(int, 0, low_open=False), default=200, metavar="N",
                    help="N pings host -> idle guest per mode and repeat, for p50/p99 (0: skip)")
    rx.add_argument("--ping-intervals", type=_intervals, default=[0.005], metavar="S,S",
                    help="seconds between those pings, each a run of N: e.g. 0.005,0.001,0.0002 (iputils -i; "
                         "figures at 5 ms keep their names, others are ping_1ms_p50_us ...)")
    rx.add_argument("--light", type=_bounded(float, 0, 1, low_open=False), default=0.1, metavar="FRACTION",
                    help="also measure CPU at this fraction of the round's ceiling rate (0: skip)")
    rx.add_argument("--ceiling-busy", action="store_true",
                    help="the ceiling spins on its TAP instead of sleeping in poll when it drains")
    rx.add_argument("--flood-gso", type=_bounded(int, 1, 64, low_open=False), default=32, metavar="N",
                    help="udpgen --gso: datagrams per message, split by the kernel (1: plain sendmmsg)")
    rx.add_argument("--nic", default="service0", help="the sink's manifest NIC name")
    rx.add_argument("--cpus", default="auto", metavar="auto|none|VCPU,IO[,NICE]",
                    help="placement: the monitor's --cpu-vcpu/--cpu-io/--io-nice; the sender runs on IO's core "
                         "(auto: the planner's default for one guest)")
    rx.add_argument("--monitor-flags", type=_flags, default=[], metavar="F,F",
                    help="more tb-monitor flags for every guest variant, e.g. --shm-offloads=0,--shm-slots=4096")
    rx.add_argument("--sleeps", type=_sleeps, default=["exit"], metavar="S,S",
                    help="how the guests sleep, each a variant per mode: exit (POLL hypercall), hlt (halted in KVM, "
                         "the kvm module's halt polling), hlt:NS (--halt-poll-ns=NS); e.g. exit,hlt:0,hlt:200000")
    tx = sub.add_parser("udp-tx", help="UDP transmit: tapwrite (a host program writing the TAP), then udp-source "
                        "per --io mode, both counted by the TAP")
    tx.add_argument("--seconds", type=_positive(float), default=5.0)
    tx.add_argument("--repeats", type=_positive(int), default=3)
    tx.add_argument("--modes", type=_modes, default=["event", "hybrid"], help="comma-separated --io modes")
    tx.add_argument("--nic", default="service0", help="the source's manifest NIC name")
    tx.add_argument("--cpus", default="auto", metavar="auto|none|VCPU,IO[,NICE]", help="placement, as udp-rx")
    tx.add_argument("--monitor-flags", type=_flags, default=[], metavar="F,F",
                    help="more tb-monitor flags for every guest variant")
    startup = sub.add_parser("startup", help="testbed --help, validate, run pingpair (by phase), install re-run")
    startup.add_argument("--rounds", type=_positive(int), default=10)
    startup.add_argument("--install-rounds", type=_bounded(int, 0, low_open=False), default=3, metavar="N",
                         help="re-runs of ci/install.sh with nothing changed (0: skip)")
    scale = sub.add_parser("scale", help="up/down of generated chains and stars (netns, unikernel) vs the kernel floor")
    scale.add_argument("--shapes", type=_shapes, default=["chain", "star"], help="netns shapes: chain,star")
    scale.add_argument("--netns-sizes", type=_sizes, default=[50, 200, 1000], metavar="N,N",
                       help="netns node counts (e.g. 50,200,1000,10000; empty: none)")
    scale.add_argument("--unikernel-sizes", type=_sizes, default=[10, 50], metavar="N,N",
                       help="unikernel star sizes (e.g. 10,50,100; empty: none)")
    scale.add_argument("--rounds", type=_positive(int), default=1)
    scale.add_argument("--no-floor", dest="floor", action="store_false", help="skip the kernel floor")
    scale.add_argument("--plot", type=Path, default=Path("results/bench-scale.png"), metavar="PNG",
                       help="time vs nodes plot (default results/bench-scale.png)")
    capture = sub.add_parser("capture", help="UDP flood into a guest NIC, the monitor capturing it or not (pps ratio)")
    capture.add_argument("--seconds", type=_positive(float), default=3.0, help="flood length per repeat")
    capture.add_argument("--repeats", type=_positive(int), default=3)
    capture.add_argument("--modes", type=_modes, default=["hypercall", "poll"], help="comma-separated --io modes")
    capture.add_argument("--sink", default="udp-sink", help="guest image receiving the flood")
    capture.add_argument("--nic", default="service0", help="the sink's manifest NIC name (the one captured)")
    capture.add_argument("--flood-gso", type=_bounded(int, 1, 64, low_open=False), default=32, metavar="N",
                         help="udpgen --gso: datagrams per message")
    capture.add_argument("--cpus", default="auto", metavar="auto|none|VCPU,IO[,NICE]", help="as for udp-rx")
    capture.add_argument("--monitor-flags", type=_flags, default=[], metavar="F,F",
                         help="more tb-monitor flags for both the capturing and the plain guest")
    links = sub.add_parser("links", help="impaired links (relay) vs plain veth: throughput, loss, delay, rate, "
                           "capture on/off")
    links.add_argument("--seconds", type=_positive(float), default=2.0, help="flood length per round")
    links.add_argument("--repeats", type=_positive(int), default=3)
    links.add_argument("--parts", type=_links_parts, default=list(LINKS_PARTS), metavar="P,P",
                       help=f"comma-separated, of {','.join(LINKS_PARTS)} (default: all)")
    show = sub.add_parser("show", help="print the tables of a results JSON written earlier")
    show.add_argument("path", type=Path)
    for p in (boot, stop, rx, tx, startup, scale, capture, links):
        p.add_argument("--json", type=Path, metavar="PATH", help="write results here "
                       "(default results/bench-BENCH.json)")
    return parser


def _unwind_on_signals() -> None:
    """SIGINT and SIGTERM unwind the bench (so its namespace and children are removed);
    in a forked helper (pyroute2 forks one per namespace handle) they just end it, since
    unwinding there would run the bench's own cleanup a second time."""
    owner = os.getpid()

    def handler(signum, frame):
        if os.getpid() != owner:
            os._exit(128 + signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Piped output (CI logs, files) gets a wide table instead of rich's 80-column default.
    console = Console(width=None if sys.stdout.isatty() else 200)
    if args.bench == "show":
        return _show(args.path, console)
    if os.geteuid() != 0:
        print("ci/bench: needs root (namespaces, TAPs, /dev/kvm)", file=sys.stderr)
        return 2
    _unwind_on_signals()
    err = Console(stderr=True)
    module = {"boot": "bench_boot", "udp-rx": "bench_udp_rx", "udp-tx": "bench_udp_tx", "startup": "bench_startup",
              "scale": "bench_scale", "capture": "bench_capture", "links": "bench_links", "stop": "bench_stop"}[args.bench]
    runner = importlib.import_module(module)
    load_before = bench_report.loadavg()
    try:
        with err.status("starting") as status:
            result = runner.run(args, lambda text: status.update(text))
    except (RuntimeError, OSError) as exc:
        print(f"ci/bench {args.bench}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ci/bench {args.bench}: interrupted; nothing written", file=sys.stderr)
        return 130
    result["environment"] = {**bench_report.environment(), "loadavg_before": load_before}
    path = args.json or Path("results") / f"bench-{args.bench}.json"
    bench_report.write_json(result, path)
    bench_report.show(result, console)
    env = result["environment"]
    console.print(f"load average before/after: {env['loadavg_before'][0]:.1f} / {env['loadavg'][0]:.1f} "
                  f"on {env['cores']} cores ({env['kvm']} KVM); results: {path}")
    return 0


def _show(path: Path, console: Console) -> int:
    try:
        result = json.loads(path.read_text())
        bench_report.show(result, console)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"ci/bench show: {path}: not a bench result ({exc})", file=sys.stderr)
        return 1
    return 0
