"""run.checks.ping: the ping check: iputils ping (testbed.run.iputils) in the source node's namespace, judged."""
from __future__ import annotations

import subprocess

from testbed.apply import nsenter
from testbed.run.checks import CheckResult
from testbed.run.iputils import PingResult, parse, ping_argv, run_bound
from testbed.topology.schema import PingCheck

__all__ = ["PingResult", "judge", "parse", "ping"]


def ping(namespace: str, source: str, destination: str, count: int = 10, interval: float = 0.01,
         size: int = 56, timeout: float = 10.0) -> PingResult:
    """iputils ping inside the namespace (testbed.run.iputils.ping_argv: exactly COUNT echoes)."""
    argv = ping_argv(destination, count, interval, size, timeout)
    try:
        done = nsenter.run(namespace, argv, timeout=run_bound(count, interval, timeout), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    except subprocess.TimeoutExpired:
        return parse("", source, destination, count, -1)
    return parse(done.stdout, source, destination, count, done.returncode)


def judge(spec: PingCheck, result: PingResult, output_hint: str = "") -> CheckResult:
    problems = []
    if result.loss_percent > spec.max_loss:
        problems.append(f"loss {result.loss_percent:g}% > max_loss {spec.max_loss:g}%")
    median = result.rtt_median_ms
    if spec.max_rtt_ms is not None and (median is None or median > spec.max_rtt_ms):
        problems.append(f"median rtt {median} ms > max_rtt_ms {spec.max_rtt_ms:g}")
    measured = result.summary()
    summary = (f"{result.received}/{max(result.transmitted, spec.count)} replies, loss {result.loss_percent:g}%, "
               f"rtt median {median:.3f} ms" if median is not None else
               f"{result.received}/{max(result.transmitted, spec.count)} replies, loss {result.loss_percent:g}%")
    return CheckResult(kind="ping", name=f"ping {spec.from_} -> {spec.to}", passed=not problems,
                       message="; ".join(problems) or summary, spec=spec.model_dump(by_alias=True),
                       measured=measured)
