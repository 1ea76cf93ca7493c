"""bench_boot: boot-to-exit wall time of the hello guest under tb-monitor, repeated."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench_monitor import monitor_argv, read_stats, stats_metrics
from bench_stats import summarise

GOAL_MS = 20.0


def spawn_and_wait(argv: list[str]) -> tuple[int, float, float]:
    """Exit status, wall seconds (spawn to reaped) and CPU seconds of one run.

    posix_spawn rather than subprocess: Python's fork+exec path would add milliseconds
    that belong to the bench, not to the monitor.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    return os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime


def run(args, progress) -> dict:
    samples = []
    with tempfile.TemporaryDirectory(prefix="tbbench-") as tmp:
        stats = Path(tmp) / "stats.json"
        argv = monitor_argv("hello", ["bench"], stats=stats)
        spawn_and_wait(argv)  # warm-up: page cache, first KVM VM of the run
        for i in range(args.runs):
            progress(f"boot {i + 1}/{args.runs}")
            status, wall, cpu = spawn_and_wait(argv)
            if status != 0:
                raise RuntimeError(f"hello exited {status}; try: {' '.join(argv)}")
            figures = stats_metrics(read_stats(stats))
            samples.append({"wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3,
                            "monitor_wall_ms": figures["wall_s"] * 1e3 if figures["wall_s"] else None,
                            "vm_exits": figures["vm_exits"]})
    summary = {k: summarise([s[k] for s in samples]) for k in samples[0]}
    return {"bench": "boot", "goal_ms": GOAL_MS, "samples": samples, "summary": summary,
            "goal_met": summary["wall_ms"]["median"] <= GOAL_MS}
