"""run.iputils: the one iputils ping: its command line, the parse of its output, and RTT percentiles (checks and traffic use it)."""
from __future__ import annotations

import re
import statistics

from pydantic import BaseModel, ConfigDict

SUMMARY_RE = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
REPLY_RE = re.compile(r"icmp_seq=(\d+).*time=([\d.]+) ms")
SUMMARY_RTT_RE = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def ping_argv(destination: str, count: int, interval: float, size: int, timeout: float,
              flood: bool = False) -> list[str]:
    """`ping -n -c COUNT (-i INTERVAL | -f) -s SIZE -W TIMEOUT DST` (sub-200 ms intervals and -f need root).

    Exactly COUNT echoes go out. With no reply at all iputils waits TIMEOUT after the last; once replies came it
    waits only twice the largest RTT so far, so on a path that queues (pacing faster than it forwards) late replies
    count as lost: pace below the path's rate. (Not -w: with a deadline iputils keeps sending until COUNT replies
    arrive, so a slow peer would be pinged more often than asked.)"""
    pacing = ["-f"] if flood else ["-i", f"{interval:g}"]
    return ["ping", "-n", "-c", str(count), *pacing, "-s", str(size), "-W", f"{timeout:g}", destination]


def run_bound(count: int, interval: float, timeout: float) -> float:
    """Seconds after which a ping is wedged, not slow: generous, only a stuck ping reaches it."""
    return 4 * count * interval + timeout + 5


def percentile(values: list[float] | tuple[float, ...], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


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
        return percentile(self.rtt_ms, 99)

    @property
    def rtt_max_ms(self) -> float | None:
        return max(self.rtt_ms) if self.rtt_ms else None

    def summary(self) -> dict:
        return {"destination": self.destination, "transmitted": self.transmitted, "received": self.received,
                "loss_percent": self.loss_percent, "rtt_min_ms": self.rtt_min_ms,
                "rtt_median_ms": self.rtt_median_ms, "rtt_p99_ms": self.rtt_p99_ms, "rtt_max_ms": self.rtt_max_ms}


def parse(output: str, source: str, destination: str, count: int, exit_status: int) -> PingResult:
    """Loss counts every echo asked for (COUNT), so a ping that sent none lost them all; a duplicate reply counts once."""
    summary = SUMMARY_RE.search(output)
    transmitted, received = (int(summary.group(1)), int(summary.group(2))) if summary else (0, 0)
    replies = {int(seq): float(ms) for seq, ms in REPLY_RE.findall(output)}
    sent = max(transmitted, count)
    loss = 100.0 * (sent - min(received, sent)) / sent if sent else 100.0
    return PingResult(source=source, destination=destination, transmitted=transmitted, received=received,
                      loss_percent=round(loss, 3), rtt_ms=tuple(replies[seq] for seq in sorted(replies)),
                      exit_status=exit_status)


def summary_rtts(output: str) -> dict[str, float]:
    """min/avg/max from the closing summary line: all a flood ping reports (it prints no line per reply)."""
    summary = SUMMARY_RTT_RE.search(output)
    if summary is None:
        return {}
    return {"rtt_min_ms": float(summary.group(1)), "rtt_avg_ms": float(summary.group(2)),
            "rtt_max_ms": float(summary.group(3))}
