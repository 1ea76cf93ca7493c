"""bench_capture: UDP flood into a guest NIC with and without the monitor capturing it (--capture), per --io mode:
delivered pps and the on/off ratio, paired per round (goal: capture on ≥ 0.9 × off)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from rich.table import Table

import bench_procs
from bench_cpu import process_cpu_seconds
from bench_lab import lab_namespace
from bench_monitor import read_stats
from bench_stats import ratio, summarise, summarise_samples
from bench_udp_rx import FRAME_BYTES, GRACE_S, Variant, _figures, flood_argv, receiver_argv
from testbed.capture.points import with_monitor_flags

GOAL_RATIO = 0.9
RING_BYTES, RING_FILES = 64 * 1024**2, 2  # bounds what a flood leaves in the temporary folder


def capture_flags(nic: str, path: Path | None) -> list[str]:
    if path is None:
        return []
    return [f"--capture:{nic}={path}", f"--capture-size={RING_BYTES}", f"--capture-files={RING_FILES}"]


def receiver_command(labns: lab_namespace, mode: str, args, stats: Path, capture: Path | None) -> list[str]:
    """udp-sink under the monitor in `mode`, its NIC captured into `capture` when given."""
    argv = receiver_argv(labns, Variant(mode, mode), args, stats, args.seconds + GRACE_S)
    return with_monitor_flags(argv, capture_flags(args.nic, capture))


def flood(labns: lab_namespace, mode: str, args, stats: Path, capture: Path | None) -> dict:
    """One flood into udp-sink under the monitor, capturing its NIC into `capture` when given."""
    stats.unlink(missing_ok=True)
    receiver = bench_procs.Child(receiver_command(labns, mode, args, stats, capture))
    try:
        receiver.wait_ready(timeout=15)
        tap0, cpu0 = labns.tap_counters(), process_cpu_seconds(receiver.proc.pid)
        sent = bench_procs.run(flood_argv(labns, args, "max"), timeout=args.seconds + 30)
        cpu1 = process_cpu_seconds(receiver.proc.pid)
        done = receiver.finish(timeout=args.seconds + 30)
        tap1 = labns.tap_counters()
    finally:
        receiver.kill()
    report, got = sent.last_json(), done.last_json()
    if sent.status != 0 or not report or not got or "rx_packets" not in got:
        raise RuntimeError(f"{mode}: flood or sink failed: {(sent.stderr + ''.join(done.stdout)).strip()[-300:]}")
    cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    figures = _figures(report, got, cpu, {k: tap1[k] - tap0[k] for k in tap0}, read_stats(stats), done.status)
    figures["io_us_per_frame"] = io_us_per_frame(figures)
    if capture is not None:
        files = sorted(capture.parent.glob(f"{capture.stem}.*{capture.suffix}"))
        figures["capture_bytes"] = sum(f.stat().st_size for f in files)
        for f in files:
            f.unlink()
    return figures


def io_us_per_frame(figures: dict) -> float | None:
    """The IO thread's CPU per frame it read from the TAP, over the whole run: what capture adds shows here, less
    blurred by other load than pps. Only where the thread sleeps when idle (event, hybrid); a poll thread spins."""
    io_s, frames = figures.get("io_cpu_s"), figures.get("monitor_rx_packets")
    return 1e6 * io_s / frames if io_s is not None and frames else None


def run(args, progress) -> dict:
    variants = [(mode, on) for mode in args.modes for on in (False, True)]
    samples: dict[str, list[dict]] = {_name(mode, on): [] for mode, on in variants}
    with lab_namespace() as labns, tempfile.TemporaryDirectory(prefix="tbbench-capture-") as tmp:
        stats, capture = Path(tmp) / "stats.json", Path(tmp) / "nic.pcapng"
        for r in range(args.repeats):  # rounds interleave off and on: this shared machine's drift hits both
            for mode, on in variants:
                progress(f"capture round {r + 1}/{args.repeats}: {_name(mode, on)}")
                samples[_name(mode, on)].append(flood(labns, mode, args, stats, capture if on else None))
    rows = []
    for mode, on in variants:
        own = samples[_name(mode, on)]
        if on:
            for s, off in zip(own, samples[_name(mode, False)]):
                s["ratio_on_off"] = ratio(s["pps"], off["pps"])
        summary = summarise_samples(own)
        if on:
            summary["ratio_on_off"] = summarise([s["ratio_on_off"] for s in own])
        rows.append({"name": _name(mode, on), "io": mode, "capture": on, "samples": own, "summary": summary})
    met = [r["summary"]["ratio_on_off"]["median"] >= GOAL_RATIO for r in rows if r["capture"]]
    return {"bench": "capture", "frame_bytes": FRAME_BYTES, "seconds": args.seconds, "repeats": args.repeats,
            "modes": args.modes, "goal_ratio": GOAL_RATIO, "goal_met": all(met), "variants": rows}


def _name(mode: str, on: bool) -> str:
    return f"{mode} + capture" if on else mode


def tables(result: dict) -> list[Table]:
    table = Table(title=f"capture: {result['frame_bytes']}-byte UDP flood into udp-sink, {result['seconds']:g} s, "
                        f"{result['repeats']} repeats (medians)",
                  caption=f"goal: capture on ≥ {result['goal_ratio']} × off: "
                          f"{'met' if result['goal_met'] else 'NOT met'}; IO µs/frame: the IO thread's CPU per frame "
                          f"(a poll-mode thread spins: there it only grows as pps falls)")
    for header in ("variant", "delivered pps", "drop %", "CPU µs/packet", "IO µs/frame", "on/off", "capture MB"):
        table.add_column(header, justify="right")
    for row in result["variants"]:
        s = row["summary"]

        def cell(key, fmt, scale=1.0, s=s):
            return fmt.format(s[key]["median"] * scale) if s.get(key) else "—"
        table.add_row(row["name"], cell("pps", "{:,.0f}"), cell("drop_pct", "{:.1f}"),
                      cell("cpu_us_per_packet", "{:.2f}"), cell("io_us_per_frame", "{:.3f}"),
                      cell("ratio_on_off", "{:.3f}"),
                      cell("capture_bytes", "{:.1f}", 1e-6))
    return [table]
