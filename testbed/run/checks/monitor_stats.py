"""run.checks.monitor_stats: bounds on a unikernel monitor's final stats: VM exits per NIC packet, NIC drops."""
from __future__ import annotations

from testbed.run.checks import CheckResult
from testbed.topology.schema import MonitorCheck


def judge(spec: MonitorCheck, stats: dict | None) -> CheckResult:
    name = f"monitor {spec.node}"
    if not stats:
        return CheckResult(kind="monitor", name=name, passed=False, spec=spec.model_dump(), measured={},
                           message="no stats: the monitor is still running (give the node an `app` traffic item, "
                                   "which stops it at the end) or wrote none")
    nics = (stats.get("nics") or {}).values()
    packets = sum(n.get("rx_packets", 0) + n.get("tx_packets", 0) for n in nics)
    drops = sum(n.get("rx_drops", 0) + n.get("tx_drops", 0) for n in nics)
    exits = stats.get("vm_exits")
    per_packet = exits / packets if exits is not None and packets else None
    problems = []
    if spec.max_exits_per_packet is not None and (per_packet is None or per_packet > spec.max_exits_per_packet):
        problems.append(f"exits/packet {per_packet if per_packet is None else round(per_packet, 3)} "
                        f"> max_exits_per_packet {spec.max_exits_per_packet:g}")
    if spec.max_drops is not None and drops > spec.max_drops:
        problems.append(f"drops {drops} > max_drops {spec.max_drops}")
    summary = f"{exits} exits / {packets} packets" + (f" = {per_packet:.3f}" if per_packet is not None else "") + \
        f", {drops} drops"
    return CheckResult(kind="monitor", name=name, passed=not problems, message="; ".join(problems) or summary,
                       spec=spec.model_dump(), measured={"vm_exits": exits, "packets": packets,
                                                         "exits_per_packet": per_packet, "drops": drops})
