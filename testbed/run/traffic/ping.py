"""run.traffic.ping: iputils ping (count, interval or flood, size) in a netns node; loss and RTT percentiles."""
from __future__ import annotations

import re

from testbed.run.checks.ping import parse
from testbed.run.traffic.base import Runner, target_address
from testbed.run.traffic.process import ToolProcess

SUMMARY_RTT_RE = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


class Ping(Runner):
    def start(self) -> None:
        spec = self.spec
        self.destination = target_address(self.lab, spec.from_, spec.to)
        pacing = ["-f"] if spec.flood else ["-i", f"{spec.interval:g}"]
        argv = ["ping", "-n", "-c", str(spec.count), *pacing, "-s", str(spec.size), "-w", f"{spec.timeout:g}",
                "-W", f"{max(1.0, spec.timeout):g}", self.destination]
        self.process = ToolProcess(argv, self.lab.plan.node(spec.from_).namespace)

    def wait(self) -> None:
        self.process.wait(self.spec.timeout + 5)

    def stop(self) -> None:
        if hasattr(self, "process"):
            self.process.stop()

    def result(self, window_s: float) -> dict:
        output = "".join(self.process.lines)
        parsed = parse(output, self.spec.from_, self.destination, self.spec.count, self.process.proc.returncode)
        rtts = list(parsed.rtt_ms)
        figures = {"transmitted": parsed.transmitted, "received": parsed.received,
                   "loss_percent": parsed.loss_percent, "rtt_p50_ms": percentile(rtts, 50),
                   "rtt_p99_ms": percentile(rtts, 99), "rtt_min_ms": min(rtts, default=None),
                   "rtt_max_ms": max(rtts, default=None), "exit_status": parsed.exit_status}
        summary = SUMMARY_RTT_RE.search(output)
        if summary and not rtts:  # flood mode prints no per-reply lines, only the summary
            figures.update(rtt_min_ms=float(summary.group(1)), rtt_avg_ms=float(summary.group(2)),
                           rtt_max_ms=float(summary.group(3)))
        return figures
