"""run.checks.ping: runs iputils ping in the source node's namespace and parses loss and round-trip times."""
from __future__ import annotations

import re
import statistics
import subprocess

from pydantic import BaseModel, ConfigDict

from testbed.apply import nsenter
from testbed.run.checks import CheckResult
from testbed.topology.schema import PingCheck

SUMMARY_RE = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
REPLY_RE = re.compile(r"icmp_seq=(\d+).*time=([\d.]+) ms")


class PingResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    destination: str  # the address pinged
    transmitted: int
    received: int
    loss_percent: float
    rtt_ms: tuple[float, ...]  # one per reply, in order
    exit_status: int

    @property
    def rtt_min_ms(self) -> float | None:
        return min(self.rtt_ms) if self.rtt_ms else None

    @property
    def rtt_median_ms(self) -> float | None:
        return statistics.median(self.rtt_ms) if self.rtt_ms else None

    @property
    def rtt_p99_ms(self) -> float | None:
        if not self.rtt_ms:
            return None
        ordered = sorted(self.rtt_ms)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]

    @property
    def rtt_max_ms(self) -> float | None:
        return max(self.rtt_ms) if self.rtt_ms else None

    def summary(self) -> dict:
        return {"destination": self.destination, "transmitted": self.transmitted, "received": self.received,
                "loss_percent": self.loss_percent, "rtt_min_ms": self.rtt_min_ms,
                "rtt_median_ms": self.rtt_median_ms, "rtt_p99_ms": self.rtt_p99_ms, "rtt_max_ms": self.rtt_max_ms}


def ping(namespace: str, source: str, destination: str, count: int = 10, interval: float = 0.01,
         size: int = 56, timeout: float = 10.0) -> PingResult:
    """`ping -n -c COUNT -i INTERVAL -s SIZE -W TIMEOUT DST` inside the namespace (sub-200 ms intervals need root).

    Exactly COUNT echoes go out; a reply later than TIMEOUT counts as lost. (Not -w: with a deadline iputils keeps
    sending until COUNT replies arrive, so a slow peer would be pinged more often than asked.)"""
    argv = ["ping", "-n", "-c", str(count), "-i", f"{interval:g}", "-s", str(size), "-W", f"{timeout:g}",
            destination]
    bound = 4 * count * interval + timeout + 5  # generous: only a wedged ping hits it
    try:
        done = nsenter.run(namespace, argv, timeout=bound, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    except subprocess.TimeoutExpired:
        return parse("", source, destination, count, -1)
    return parse(done.stdout, source, destination, count, done.returncode)


def parse(output: str, source: str, destination: str, count: int, exit_status: int) -> PingResult:
    summary = SUMMARY_RE.search(output)
    transmitted, received = (int(summary.group(1)), int(summary.group(2))) if summary else (0, 0)
    replies = {int(seq): float(ms) for seq, ms in REPLY_RE.findall(output)}  # duplicates counted once
    sent = max(transmitted, count)
    loss = 100.0 * (sent - min(received, sent)) / sent if sent else 100.0
    return PingResult(source=source, destination=destination, transmitted=transmitted, received=received,
                      loss_percent=round(loss, 3), rtt_ms=tuple(replies[seq] for seq in sorted(replies)),
                      exit_status=exit_status)


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
