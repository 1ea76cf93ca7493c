"""run.traffic.cpu: CPU time a running process (all its threads) has used, read from /proc, to measure a window of a run."""
from __future__ import annotations

import os


def process_cpu_seconds(pid: int) -> float | None:
    """Sum of the threads' run time (schedstat, ns resolution), or utime+stime ticks as a fallback; None once gone."""
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except FileNotFoundError:
        return None
    except (OSError, ValueError, IndexError):
        return _ticks(pid)


def _ticks(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
