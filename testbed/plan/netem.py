"""plan.netem: a link with `impair: {engine: netem}` stays a plain veth pair; each impaired direction gets a netem root
qdisc on the interface that sends it (the first endpoint's for forward, the second's for reverse)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from testbed.topology.schema import Link
from testbed.topology.schema.impair import Impairment

if TYPE_CHECKING:
    from testbed.plan.planner import _Planner

DEFAULT_LIMIT = 1000  # netem's own default, and our engine's


class GilbertElliottParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    p: float  # percent, good -> bad per packet
    r: float  # percent, bad -> good per packet
    bad_loss: float  # percent
    good_loss: float  # percent


class NetemParams(BaseModel):
    """One direction's netem, in the topology's units (ns, percent, bit/s); apply.netem turns it into the kernel's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delay_ns: int = 0
    jitter_ns: int = 0
    distribution: Literal["uniform", "normal"] = "uniform"
    loss: float = 0.0
    gilbert_elliott: GilbertElliottParams | None = None
    rate_bps: int | None = None
    limit: int = DEFAULT_LIMIT
    reorder: float = 0.0
    duplicate: float = 0.0
    corrupt: float = 0.0

    def describe(self) -> str:
        """In tc's words, e.g. `delay 10ms jitter 1ms loss 5% rate 100mbit limit 1000`."""
        words = []
        if self.delay_ns or self.jitter_ns:
            words += ["delay", _time(self.delay_ns)]
        if self.jitter_ns:
            words += [_time(self.jitter_ns), "distribution", self.distribution]
        if (ge := self.gilbert_elliott) is not None:
            words += ["loss", "gemodel", *(f"{value:g}%" for value in (ge.p, ge.r, ge.bad_loss, ge.good_loss))]
        elif self.loss:
            words += ["loss", f"{self.loss:g}%"]
        for name in ("duplicate", "corrupt", "reorder"):
            if getattr(self, name):
                words += [name, f"{getattr(self, name):g}%"]
        if self.rate_bps is not None:
            words += ["rate", f"{self.rate_bps}bit"]
        return " ".join([*words, "limit", str(self.limit)])


class NetemQdisc(BaseModel):
    """netem on `ifname` in `namespace` (its egress is the link's `direction`: forward is first endpoint -> second)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    link: int
    name: str  # NODE:IF--NODE:IF
    direction: Literal["forward", "reverse"]
    namespace: str
    ifname: str
    params: NetemParams

    def ends(self) -> tuple[str, str]:
        return tuple(self.name.split("--", 1))


def netem_params(way: Impairment) -> NetemParams | None:
    """The netem a direction needs; None when the direction asks for nothing (no qdisc)."""
    if all(getattr(way, name) is None for name in Impairment.model_fields):
        return None
    ge = way.gilbert_elliott
    return NetemParams(
        delay_ns=way.delay or 0, jitter_ns=way.jitter or 0, distribution=way.distribution or "uniform",
        loss=way.loss or 0.0,
        gilbert_elliott=None if ge is None else GilbertElliottParams(p=ge.p, r=ge.r, bad_loss=ge.bad_loss,
                                                                     good_loss=ge.good_loss),
        rate_bps=way.rate, limit=way.limit or DEFAULT_LIMIT,
        reorder=way.reorder or 0.0, duplicate=way.duplicate or 0.0, corrupt=way.corrupt or 0.0)


def plan_netem_link(planner: _Planner, index: int, link: Link, name: str) -> list[NetemQdisc]:
    """The link's qdiscs (the rules made sure both ends are kernel interfaces); the veth itself is planned as for a
    link without `impair:`."""
    a, b = link.endpoints
    guests = [end.node for end in (a, b) if planner.kind(end.node) == "unikernel"]
    if guests:  # the loader's rules say this at the file's line; a topology built in Python meets it here
        planner.problems.append(f"links[{index}]: engine: netem needs kernel interfaces at both ends, and "
                                f"{guests[0]} is a unikernel")
        return []
    qdiscs = []
    for direction, sender in (("forward", a), ("reverse", b)):
        params = netem_params(link.impair.direction(forward=direction == "forward"))
        if params is not None:
            qdiscs.append(NetemQdisc(link=index, name=name, direction=direction, namespace=planner.ns(sender.node),
                                     ifname=sender.ifname, params=params))
    return qdiscs


def find_netem(qdiscs, name: str) -> NetemQdisc | None:
    """A netem link by NODE:IF of either end, by NODE:IF--NODE:IF, or by its index in the topology's links."""
    return next((q for q in qdiscs if name in (q.name, str(q.link), *q.ends())), None)


def _time(ns: int) -> str:
    for unit, scale in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if ns >= scale and ns % scale == 0:
            return f"{ns // scale}{unit}"
    return f"{ns}ns"
