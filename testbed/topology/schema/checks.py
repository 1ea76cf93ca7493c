"""topology.schema.checks: the `checks:` kinds, judged after the traffic (in testbed.run.checks)."""
from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from testbed.topology.schema.common import FromTo, OneKind, Strict, check_regex


class PingCheck(FromTo):
    """iputils ping from a netns node; passes when loss and round trip are within bounds."""

    from_: str = Field(alias="from", description="a netns node")
    to: str = Field(description="a node (its address facing `from`) or an IP address")
    count: int = Field(default=10, ge=1, description="pings to send")
    interval: float = Field(default=0.01, gt=0, description="seconds between pings")
    size: int = Field(default=56, ge=0, le=65507, description="ICMP payload bytes")
    max_loss: float = Field(default=0, ge=0, le=100, description="percent")
    max_rtt_ms: float | None = Field(default=None, gt=0, description="bound on the median round trip")
    timeout: float = Field(default=10, gt=0, description="seconds")
    impaired: bool = Field(default=False, description="judge against the impaired link between from and to: loss "
                           "within binomial bounds of its rate, rtt >= its delay (max_loss then only if given)")


# --- checks beyond ping (judged in testbed.run.checks.*; traffic names refer to `traffic:` items)

class DeliveredCheck(FromTo):
    """Packets a receiver counted, against a sender's count or a number."""

    to: str = Field(description="the receiving traffic item")
    from_: str | None = Field(default=None, alias="from", description="the sending traffic item")
    exact: bool = Field(default=False, description="received == sent (needs from)")
    min_packets: int | None = Field(default=None, ge=0)
    min_ratio: float | None = Field(default=None, ge=0, le=1, description="received / sent >= this (needs from)")
    impaired: bool = Field(default=False, description="received within binomial bounds of sent less the loss of "
                           "the impaired link the sender crosses (needs from)")

    @model_validator(mode="after")
    def _needs_a_bound(self):
        if not (self.exact or self.impaired or self.min_packets is not None or self.min_ratio is not None):
            raise ValueError("give exact: true, impaired: true, min_packets or min_ratio")
        if (self.exact or self.impaired or self.min_ratio is not None) and self.from_ is None:
            raise ValueError("exact, impaired and min_ratio compare with a sender: give from")
        return self


class RxRateCheck(Strict):
    """A receiver's packet rate over its traffic window."""

    traffic: str = Field(description="the receiving traffic item")
    min_pps: float = Field(gt=0, description="received packets per second of the traffic window")


class MonitorCheck(Strict):
    """Bounds on a unikernel monitor's final --stats (the node's monitor must have exited: app traffic stops it)."""

    node: str = Field(description="a unikernel node")
    max_exits_per_packet: float | None = Field(default=None, ge=0, description="VM exits / NIC packets (rx + tx)")
    max_drops: int | None = Field(default=None, ge=0, description="NIC rx + tx drops")

    @model_validator(mode="after")
    def _needs_a_bound(self):
        if self.max_exits_per_packet is None and self.max_drops is None:
            raise ValueError("give max_exits_per_packet or max_drops")
        return self


class ExitStatusCheck(Strict):
    """The status a unikernel guest exited with."""

    node: str = Field(description="a unikernel node")
    equals: int = Field(default=0, description="the guest's exit status (128+N: killed by signal N)")
    timeout: float = Field(default=10, gt=0, description="seconds to wait for the guest to exit")


class ConsoleCheck(Strict):
    """A line of a unikernel's console output."""

    node: str = Field(description="a unikernel node")
    contains: str | None = Field(default=None, description="text a console line must contain")
    matches: str | None = Field(default=None, description="a Python regular expression, searched per line")

    @model_validator(mode="after")
    def _one_pattern(self):
        if (self.contains is None) == (self.matches is None):
            raise ValueError("give exactly one of contains or matches")
        if self.matches is not None:
            check_regex(self.matches)
        return self


class CommandCheck(Strict):
    """A shell command run in a netns node, judged by its status and output."""

    node: str = Field(description="a netns node")
    run: str = Field(description="a shell command")
    exit_status: int | None = Field(default=0, description="expected status (null: any)")
    contains: str | None = Field(default=None, description="text its output (stdout + stderr) must contain")
    matches: str | None = Field(default=None, description="a Python regular expression its output must match")
    timeout: float = Field(default=30, gt=0, description="seconds")

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            check_regex(value)
        return value


class Check(OneKind):
    """One check; exactly one kind key is set."""

    WHAT = "a check"

    ping: PingCheck | None = Field(default=None, description="reachability and round trip by ping")
    delivered: DeliveredCheck | None = Field(default=None, description="packets a traffic receiver counted")
    rx_rate: RxRateCheck | None = Field(default=None, description="a traffic receiver's packet rate")
    monitor: MonitorCheck | None = Field(default=None, description="bounds on a monitor's --stats")
    exit_status: ExitStatusCheck | None = Field(default=None, description="a guest's exit status")
    console: ConsoleCheck | None = Field(default=None, description="a guest's console output")
    command: CommandCheck | None = Field(default=None, description="a command's status and output")

