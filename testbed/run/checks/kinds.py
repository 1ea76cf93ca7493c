"""run.checks.kinds: judges every check kind but ping (which the lab runs itself) against a lab and its traffic figures."""
from __future__ import annotations

from testbed.run.checks import CheckResult, command, console, exit_status, monitor_stats, traffic
from testbed.run.checks.impaired import delivered_against_link
from testbed.topology.schema import (
    CommandCheck,
    ConsoleCheck,
    DeliveredCheck,
    ExitStatusCheck,
    MonitorCheck,
    RxRateCheck,
)


def judge(lab, spec, traffic_figures: dict) -> CheckResult:
    if isinstance(spec, DeliveredCheck):
        if spec.impaired:
            return delivered_against_link(lab, spec, traffic_figures)
        return traffic.delivered(spec, traffic_figures)
    if isinstance(spec, RxRateCheck):
        return traffic.rx_rate(spec, traffic_figures)
    if isinstance(spec, MonitorCheck):
        return monitor_stats.judge(spec, lab.stats(spec.node))
    if isinstance(spec, ExitStatusCheck):
        return exit_status.judge(lab, spec)
    if isinstance(spec, ConsoleCheck):
        return console.judge(lab.console(spec.node), spec)
    if isinstance(spec, CommandCheck):
        return command.judge(lab, spec)
    raise TypeError(f"unsupported check {type(spec).__name__}")
