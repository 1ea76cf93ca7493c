"""bench_udp_rx: host sendmmsg flood into a TAP, received by tapread (the ceiling) and by udp-sink per --io mode."""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bench_procs
from bench_cpu import process_cpu_seconds
from bench_lab import lab_namespace
from bench_monitor import monitor_argv, read_stats, stats_metrics
from bench_ping import DEFAULT_INTERVAL, interval_label, ping_guest
from bench_stats import ratio, summarise, summarise_samples
from testbed import paths
from testbed.plan import cpus as plan_cpus
from testbed.plan.model import Placement

FRAME_BYTES = 1300                  # the 1300-byte UDP frames of the original shmstream measurements
PAYLOAD = FRAME_BYTES - 14 - 20 - 8  # Ethernet + IPv4 + UDP headers
PORT = 7000
CEILING = "ceiling"
GRACE_S = 2.0  # the sink outlives the flood by this much, to drain the TAP queue


@dataclass(frozen=True)
class Variant:
    name: str
    io: str | None  # None: tapread, no guest
    sleep: str = "exit"  # --sleeps: how the guest sleeps (sleep_flags)


def sleep_flags(sleep: str) -> list[str]:
    """--sleeps values: exit (the POLL hypercall), hlt (halted in KVM, the kvm module's halt polling), hlt:NS."""
    if sleep == "exit":
        return []
    if sleep == "hlt":
        return ["--sleep=hlt"]
    return ["--sleep=hlt", f"--halt-poll-ns={int(sleep.split(':', 1)[1])}"]


def variants(modes: list[str], sleeps: list[str] | None = None) -> list[Variant]:
    sleeps = sleeps or ["exit"]
    # Poll mode never sleeps: one variant of it is enough.
    guests = [Variant(m if s == "exit" else f"{m}/{s}", m, s) for m in modes
              for s in (sleeps if m != "poll" else sleeps[:1])]
    return [Variant(CEILING, None), *guests]


def placement(spec: str) -> Placement:
    """--cpus: auto (what the planner gives a lone guest on this machine), none, or VCPU,IO[,NICE]."""
    if spec == "none":
        return Placement()
    if spec == "auto":
        return plan_cpus.auto_placement(["bench"], plan_cpus.available_cpus()).get("bench", Placement())
    parts = [int(x) for x in spec.split(",")]
    return Placement(vcpu=parts[0], io=parts[1], io_nice=parts[2] if len(parts) > 2 else 0)


def pinned(argv: list[str], core: int | None) -> list[str]:
    return ["taskset", "-c", str(core), *argv] if core is not None else argv


def with_flags(argv: list[str], flags: list[str]) -> list[str]:
    cut = argv.index("--")
    return [*argv[:cut], *flags, *argv[cut:]]


def receiver_argv(labns: lab_namespace, v: Variant, args, stats: Path, window: float | None) -> list[str]:
    lab = labns.lab
    cpus = placement(args.cpus)
    if v.io is None:
        # The ceiling's reader unpinned: the best a plain host program does on this machine.
        return ([str(paths.tool_path("tapread")), f"--tap={lab.tap}", f"--netns={lab.netns}",
                "--idle=1", f"--seconds={args.seconds + 30}", "--json",
                *(["--busy"] if args.ceiling_busy else [])])
    # udp-sink's --seconds window opens at its first datagram; no window: runs until stopped.
    guest = [f"--ip={lab.guest_ip}/{lab.prefix}", f"--port={PORT}",
             *([f"--seconds={window}"] if window else [])]
    return with_flags(monitor_argv(args.sink, guest, stats=stats, io=v.io, netns=lab.netns, nic=args.nic,
                                   tap=lab.tap, mac=lab.guest_mac),
                      [*cpus.flags(), *sleep_flags(v.sleep), *args.monitor_flags])


def flood_argv(labns: lab_namespace, args, rate: str) -> list[str]:
    lab = labns.lab
    # GSO: the same 1300-byte frames reach the TAP, but the sender spends less CPU per frame,
    # so the ceiling measures the reader rather than the generator.
    # The sender shares the IO thread's core (the traffic source's core in the planner's placement).
    return lab.run_in(pinned([str(paths.tool_path("udpgen")), f"--dst={lab.guest_ip}:{PORT}",
                              f"--size={PAYLOAD}", f"--rate={rate}", f"--seconds={args.seconds}", "--json",
                              f"--gso={args.flood_gso}", f"--batch={16 * args.flood_gso}"],
                             placement(args.cpus).io))


def flood_phase(labns: lab_namespace, v: Variant, args, stats: Path, rate: str = "max") -> dict:
    """Start the receiver, flood it for --seconds, and turn both reports into per-packet figures."""
    stats.unlink(missing_ok=True)
    receiver = bench_procs.Child(receiver_argv(labns, v, args, stats, args.seconds + GRACE_S))
    try:
        receiver.wait_ready(timeout=15)
        tap0, cpu0 = labns.tap_counters(), process_cpu_seconds(receiver.proc.pid)
        flood = bench_procs.run(flood_argv(labns, args, rate), timeout=args.seconds + 30)
        cpu1 = process_cpu_seconds(receiver.proc.pid)
        done = receiver.finish(timeout=args.seconds + 30)
        tap1 = labns.tap_counters()
    finally:
        receiver.kill()
    sent, got = flood.last_json(), done.last_json()
    if flood.status != 0 or not sent:
        raise RuntimeError(f"udpgen failed ({flood.status}): {flood.stderr.strip()[-300:]}")
    if not got or "rx_packets" not in got:
        raise RuntimeError(f"{v.name}: no summary from the receiver (exit {done.status}): "
                           f"{(done.stderr or ''.join(done.stdout)).strip()[-300:]}")
    cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    tap = {k: tap1[k] - tap0[k] for k in tap0}
    return _figures(sent, got, cpu, tap, read_stats(stats) if v.io else {}, done.status)


def echo_argv(labns: lab_namespace) -> list[str]:
    """The ceiling's ping floor: a host program answering echo requests on the TAP (ci/tap_echo.py)."""
    return labns.lab.run_in([sys.executable, str(Path(__file__).with_name("tap_echo.py")), f"--tap={labns.lab.tap}"])


def ping_phase(labns: lab_namespace, v: Variant, args, stats: Path) -> dict:
    """Round trips host -> idle guest (udp-sink answers echo requests), or to the host echo program for the ceiling,
    at each --ping-intervals spacing in turn, and the answerer's CPU per echo over each (the monitor's vCPU and IO
    thread: the guest does nothing else meanwhile)."""
    sink = bench_procs.Child(receiver_argv(labns, v, args, stats, None) if v.io else echo_argv(labns))
    figures = {}
    try:
        sink.wait_ready(timeout=15)
        for interval in getattr(args, "ping_intervals", None) or [DEFAULT_INTERVAL]:
            cpu0 = process_cpu_seconds(sink.proc.pid)
            got = ping_guest(labns.lab, args.ping, interval)
            cpu1 = process_cpu_seconds(sink.proc.pid)
            if cpu0 is not None and cpu1 is not None:
                got["ping_cpu_us"] = (cpu1 - cpu0) * 1e6 / args.ping
            label = interval_label(interval)
            figures.update({key.replace("ping_", f"ping_{label}", 1): value for key, value in got.items()})
        return figures
    finally:
        sink.stop()


def light_phase(labns: lab_namespace, v: Variant, args, stats: Path, ceiling_pps: float) -> dict:
    """CPU at a light load: a paced flood at a fraction of this round's ceiling."""
    rate = max(1, int(args.light * ceiling_pps))
    f = flood_phase(labns, v, args, stats, rate=str(rate))
    return {"light_rate_pps": rate, "light_cpu_pct": f["cpu_pct"],
            "light_cpu_us_per_packet": f["cpu_us_per_packet"], "light_drop_pct": f["drop_pct"]}


def _per_packet(value: float | None, packets: int, scale: float = 1.0) -> float | None:
    return value * scale / packets if value is not None and packets else None


def _figures(sent: dict, got: dict, cpu: float | None, tap: dict, stats: dict, status: int) -> dict:
    rx, secs = int(got["rx_packets"]), float(sent["seconds"])
    offered = int(sent["sent_packets"]) + int(sent["errors"])
    m = stats_metrics(stats)
    return {
        "rx_packets": rx,
        "pps": rx / secs if secs else None,  # delivered rate over the flood's own window
        "offered_pps": offered / secs if secs else None,
        "drops": offered - rx,
        "drop_pct": 100.0 * (offered - rx) / offered if offered else None,
        # Where they went: the kernel's TAP queue overflowing (the reader too slow) ...
        "tap_drop_pct": 100.0 * tap["tx_dropped"] / offered if offered else None,
        # ... or lost after the TAP handed them over (monitor or guest). With offloads the TAP counts GSO frames,
        # so the monitor's count of frames it put into the ring stands in for it.
        "lost_after_tap": (m["nic_rx_packets"] if m["nic_rx_packets"] is not None else tap["tx_packets"]) - rx,
        "exits_per_packet": _per_packet(m["vm_exits"], rx),
        "user_exits_per_packet": _per_packet(m["userspace_exits"], rx),
        "emulations_per_packet": _per_packet(m["insn_emulation"], rx),
        "cpu_us_per_packet": _per_packet(cpu, rx, 1e6),
        "cpu_pct": 100.0 * cpu / secs if cpu is not None and secs else None,
        "nic_rx_drops": m["nic_rx_drops"],
        "monitor_rx_packets": m["nic_rx_packets"],  # read from the TAP; rx_packets is what the guest counted
        **{f"{name}_cpu_s": secs for name, secs in m["thread_cpu_s"].items()},  # whole run, per thread
        "exit_status": status,
    }


def sample(labns: lab_namespace, v: Variant, args, stats: Path, ceiling_pps: float | None) -> dict:
    figures = flood_phase(labns, v, args, stats)
    if args.ping:
        figures.update(ping_phase(labns, v, args, stats))
    if v.io and args.light and ceiling_pps:
        figures.update(light_phase(labns, v, args, stats, ceiling_pps))
    return figures


def run(args, progress) -> dict:
    vs = variants(args.modes, args.sleeps)
    samples: dict[str, list[dict]] = {v.name: [] for v in vs}
    with lab_namespace() as labns, tempfile.TemporaryDirectory(prefix="tbbench-") as tmp:
        stats = Path(tmp) / "stats.json"
        # Rounds interleave the variants, so slow drift of this shared machine hits all alike;
        # the ceiling goes first, so the light load can be set from this round's ceiling.
        for r in range(args.repeats):
            for v in vs:
                progress(f"udp-rx round {r + 1}/{args.repeats}: {v.name}")
                ceiling_pps = samples[CEILING][-1]["pps"] if samples[CEILING] else None
                samples[v.name].append(sample(labns, v, args, stats, ceiling_pps))
    return {"bench": "udp-rx", "frame_bytes": FRAME_BYTES, "seconds": args.seconds,
            "ceiling": "tapread --busy" if args.ceiling_busy else "tapread",
            "repeats": args.repeats, "modes": args.modes, "flood_gso": args.flood_gso, "ping_count": args.ping,
            "light_fraction": args.light, "cpus": placement(args.cpus).model_dump(),
            "monitor_flags": args.monitor_flags, "sleeps": args.sleeps,
            "ping_intervals": getattr(args, "ping_intervals", None) or [DEFAULT_INTERVAL],
            "variants": _summaries(vs, samples)}


def _summaries(vs: list[Variant], samples: dict[str, list[dict]]) -> list[dict]:
    ceiling = samples[CEILING]
    out = []
    for v in vs:
        own = samples[v.name]
        # Paired with the same round's ceiling: a ratio per round, then its median.
        for s, c in zip(own, ceiling):
            s["ratio_to_ceiling"] = ratio(s["pps"], c["pps"])
        summary = summarise_samples(own)
        summary["ratio_to_ceiling"] = summarise([s["ratio_to_ceiling"] for s in own])
        out.append({"name": v.name, "io": v.io, "sleep": v.sleep, "receiver": "tapread" if v.io is None else "udp-sink",
                    "samples": own, "summary": summary})
    return out
