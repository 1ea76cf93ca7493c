"""bench_boot: boot-to-exit wall time of the hello guest under tb-monitor, repeated."""
from __future__ import annotations

import tempfile
from pathlib import Path

import bench_procs
from bench_monitor import monitor_argv, read_stats, stats_metrics
from bench_stats import summarise

GOAL_MS = 20.0


def run(args, progress) -> dict:
    samples = []
    with tempfile.TemporaryDirectory(prefix="tbbench-") as tmp:
        stats = Path(tmp) / "stats.json"
        argv = monitor_argv("hello", ["bench"], stats=stats)
        bench_procs.run(argv, timeout=30)  # warm-up: page cache, first KVM VM of the run
        for i in range(args.runs):
            progress(f"boot {i + 1}/{args.runs}")
            done = bench_procs.run(argv, timeout=30)
            if done.status != 0:
                raise RuntimeError(f"hello exited {done.status}: {done.stderr.strip()[-300:]}")
            figures = stats_metrics(read_stats(stats))
            samples.append({"wall_ms": done.wall * 1e3, "cpu_ms": done.cpu * 1e3,
                            "monitor_wall_ms": (figures["wall_s"] or 0) * 1e3 or None,
                            "vm_exits": figures["vm_exits"]})
    summary = {k: summarise([s[k] for s in samples]) for k in samples[0]}
    return {"bench": "boot", "goal_ms": GOAL_MS, "samples": samples, "summary": summary,
            "goal_met": summary["wall_ms"]["median"] <= GOAL_MS}
