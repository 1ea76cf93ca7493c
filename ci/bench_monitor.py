"""bench_monitor: command lines for tb-monitor and the figures the bench takes from its --stats JSON."""
from __future__ import annotations

import json
from pathlib import Path

from testbed import paths
from testbed.run.traffic.guest import nic_sum, number


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


def stats_metrics(stats: dict) -> dict:
    """The per-run figures the bench reports, from tb-monitor's --stats JSON (None where absent)."""
    cpu = stats.get("cpu_seconds") or {}
    return {
        "vm_exits": number(stats.get("vm_exits")),
        "insn_emulation": number(stats.get("insn_emulation")),
        "userspace_exits": number(stats.get("userspace_exits")),
        "monitor_cpu_s": number(cpu.get("process")),
        "thread_cpu_s": {k: v for k, v in cpu.items() if k != "process"},
        "nic_rx_packets": nic_sum(stats, "rx_packets"),
        "nic_rx_drops": nic_sum(stats, "rx_drops"),
        "wall_s": number(stats.get("wall_seconds")),
    }
