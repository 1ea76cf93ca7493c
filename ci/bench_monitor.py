"""bench_monitor: command lines for tb-monitor and the figures the bench takes from its --stats JSON."""
from __future__ import annotations

import json
from pathlib import Path

from testbed import paths


def monitor_argv(image: str, guest_args: list[str], *, stats: Path, io: str | None = None,
                 netns: str | None = None, nic: str | None = None, tap: str | None = None,
                 mac: str | None = None) -> list[str]:
    argv = [str(paths.monitor_path()), f"--stats={stats}"]
    if netns:
        argv.append(f"--netns={netns}")
    if nic and tap:
        argv.append(f"--net:{nic}={tap}")
    if nic and mac:
        argv.append(f"--net-mac:{nic}={mac}")
    if io:
        argv.append(f"--io={io}")
    return [*argv, "--", str(image_path(image)), *guest_args]


def image_path(name: str) -> Path:
    image = paths.images().get(name)
    if image is None:
        raise paths.MissingBuildError(f"guest image {name!r} not built (have: {', '.join(paths.images()) or 'none'})")
    return image


def read_stats(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _total(value) -> float | None:
    """A counter, or the sum of a dict/list of counters (per thread, per hypercall...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        parts = [_total(v) for v in value.values()]
    elif isinstance(value, list):
        parts = [_total(v) for v in value]
    else:
        return None
    parts = [p for p in parts if p is not None]
    return sum(parts) if parts else None


def _find(stats, *names: str):
    """The first value stored under any of names, searching nested objects breadth-first."""
    queue = [stats]
    while queue:
        node = queue.pop(0)
        if isinstance(node, dict):
            for name in names:
                if name in node:
                    return node[name]
            queue.extend(node.values())
        elif isinstance(node, list):
            queue.extend(node)
    return None


def stats_metrics(stats: dict) -> dict:
    """The per-run figures the bench reports: exits, emulation, userspace exits, CPU, NIC drops."""
    return {
        "vm_exits": _total(_find(stats, "vm_exits", "exits")),
        "insn_emulation": _total(_find(stats, "insn_emulation")),
        "userspace_exits": _total(_find(stats, "userspace_exits", "hypercalls")),
        "monitor_cpu_s": _total(_find(stats, "cpu_seconds", "thread_cpu_seconds", "threads_cpu")),
        "nic_rx_packets": _total(_find(stats, "rx_packets")),
        "nic_rx_drops": _total(_find(stats, "rx_drops", "drops")),
        "wall_s": _total(_find(stats, "wall_seconds")),
    }
