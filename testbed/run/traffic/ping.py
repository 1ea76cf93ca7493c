"""run.traffic.ping: iputils ping (count, interval or flood, size) in a netns node; loss and RTT percentiles."""
from __future__ import annotations

from testbed.run.iputils import parse, percentile, ping_argv, run_bound, summary_rtts
from testbed.run.traffic.base import Runner
from testbed.run.traffic.process import ToolProcess


class Ping(Runner):
    def start(self) -> None:
        spec = self.spec
        self.destination = self.lab.target_address(spec.to, towards=spec.from_)
        argv = ping_argv(self.destination, spec.count, spec.interval, spec.size, spec.timeout, flood=spec.flood)
        self.process = ToolProcess(argv, self.lab.plan.node(spec.from_).namespace)

    def wait(self) -> None:
        self.process.wait(run_bound(self.spec.count, self.spec.interval, self.spec.timeout))

    def result(self, window_s: float) -> dict:
        output = "".join(self.process.lines)
        parsed = parse(output, self.spec.from_, self.destination, self.spec.count, self.process.proc.returncode)
        rtts = parsed.rtt_ms
        figures = {"transmitted": parsed.transmitted, "received": parsed.received,
                   "loss_percent": parsed.loss_percent, "rtt_p50_ms": percentile(rtts, 50),
                   "rtt_p99_ms": parsed.rtt_p99_ms, "rtt_min_ms": parsed.rtt_min_ms,
                   "rtt_max_ms": parsed.rtt_max_ms, "exit_status": parsed.exit_status}
        if not rtts:  # flood mode prints no per-reply lines, only the summary
            figures.update(summary_rtts(output))
        return figures
