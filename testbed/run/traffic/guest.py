"""run.traffic.guest: a unikernel node's monitor as traffic sees it: its pid, stopping it by pid, its final stats."""
from __future__ import annotations

import signal
import time

from testbed.apply.procs import ProcessId
from testbed.run.traffic.base import TrafficError, per

STOP_TIMEOUT_SECONDS = 5.0


def monitor_process(lab, node: str) -> ProcessId | None:
    return ProcessId.from_json(lab.processes().get(node))


def stop_monitor(lab, node: str) -> None:
    """SIGTERM the node's monitor (it writes its stats as it exits) and wait until it is gone."""
    process = monitor_process(lab, node)
    if process is None or not process.signal(signal.SIGTERM):
        return
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while process.alive():
        if time.monotonic() > deadline:
            process.signal(signal.SIGKILL)
            raise TrafficError(f"node {node}: the monitor did not stop within {STOP_TIMEOUT_SECONDS:g} s of SIGTERM")
        time.sleep(0.01)


def wait_stats(lab, node: str, timeout: float = STOP_TIMEOUT_SECONDS) -> dict | None:
    """The monitor writes --stats at exit; the supervisor may not have reaped it yet, so the file may lag a moment."""
    deadline = time.monotonic() + timeout
    while (stats := lab.stats(node)) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return stats


def number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def nic_sum(stats: dict, key: str) -> float | None:
    values = [number(nic.get(key)) for nic in (stats.get("nics") or {}).values()]
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def stats_metrics(stats: dict | None, packets: float | None) -> dict:
    """Per-packet costs from the monitor's --stats JSON; `packets` is what the app counted (sent or received)."""
    if not stats:
        return {}
    exits, emulated = number(stats.get("vm_exits")), number(stats.get("insn_emulation"))
    user_exits = number(stats.get("userspace_exits"))
    return {"vm_exits": exits, "insn_emulation": emulated, "userspace_exits": user_exits,
            "exits_per_packet": per(exits, packets), "user_exits_per_packet": per(user_exits, packets),
            "emulations_per_packet": per(emulated, packets),
            "nic_rx_packets": nic_sum(stats, "rx_packets"), "nic_tx_packets": nic_sum(stats, "tx_packets"),
            "nic_rx_drops": nic_sum(stats, "rx_drops"), "nic_tx_drops": nic_sum(stats, "tx_drops"),
            "monitor_cpu_s": number((stats.get("cpu_seconds") or {}).get("process")),
            "guest_exit_status": stats.get("exit_status")}
