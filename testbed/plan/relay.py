"""plan.relay: a link with `impair:` becomes a relay link: a TAP at each end joined through tb-wire, which impairs
what crosses. A unikernel end meets its TAP on a small bridge in its namespace, next to the monitor's TAP."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from testbed.topology.schema import EndpointRef, Link
from testbed.topology.schema.impair import link_seed

if TYPE_CHECKING:
    from testbed.plan.planner import _Planner


class Relay(BaseModel):
    """One tb-wire process: end a is the link's first endpoint; `forward` impairs a -> b, `reverse` b -> a."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    link: int  # index in topology.links
    name: str  # NODE:IF--NODE:IF, what `testbed impair` and `testbed links` call it
    a_namespace: str
    a_tap: str
    b_namespace: str
    b_tap: str
    link_id: int  # the link's part of the decisions' key
    seed: int
    forward: str  # tb-wire's key=value text
    reverse: str

    @property
    def process(self) -> str:
        """Its key among the run's processes (next to the monitors' node names)."""
        return f"wire:{self.link}"

    def ends(self) -> tuple[str, str]:
        return tuple(self.name.split("--", 1))

    def argv(self, binary: str, control: str, stats: str) -> list[str]:
        return [binary, f"--a=tap:{self.a_tap}@{self.a_namespace}", f"--b=tap:{self.b_tap}@{self.b_namespace}",
                f"--control={control}", f"--link={self.name}", f"--link-id={self.link_id}",
                f"--ab={self.forward}", f"--ba={self.reverse}", f"--stats={stats}"]


def link_name(link: Link) -> str:
    a, b = link.endpoints
    return f"{a}--{b}"


def link_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def plan_relay_link(planner: _Planner, index: int, link: Link, addresses: dict[EndpointRef, str]) -> None:
    """A TAP for the relay at each end, addresses and interfaces as for any link, and the relay itself."""
    from testbed.plan import model as p

    a, b = link.endpoints
    taps = [_relay_end(planner, index, link, end, side) for end, side in ((a, "a"), (b, "b"))]
    for end, peer in ((a, b), (b, a)):
        address = addresses.get(end)
        planner.interfaces.setdefault(end.node, []).append(p.Interface(
            name=end.ifname, address=address, mechanism="wire", peer=peer, link=index))
        if address and planner.kind(end.node) == "netns":
            planner.addresses.append(p.Address(namespace=planner.ns(end.node), ifname=end.ifname, address=address))
    name = link_name(link)
    seed = link.impair.seed if link.impair.seed is not None else link_seed(planner.topology.seed, name)
    planner.relays.append(Relay(
        link=index, name=name, a_namespace=planner.ns(a.node), a_tap=taps[0], b_namespace=planner.ns(b.node),
        b_tap=taps[1], link_id=link_id(name), seed=seed,
        forward=link.impair.direction(forward=True).engine_text(seed),
        reverse=link.impair.direction(forward=False).engine_text(seed)))


def _relay_end(planner: _Planner, index: int, link: Link, end: EndpointRef, side: str) -> str:
    """The TAP the relay opens at this end: the interface itself for a kernel end; for a unikernel, a TAP on a
    bridge in its namespace that also holds the monitor's TAP."""
    if planner.kind(end.node) != "unikernel":
        planner._tap(link, end, master=planner._master(end))
        return end.ifname
    from testbed.plan import model as p

    namespace, bridge = planner.ns(end.node), f"wb{index}{side}"
    relay_tap, guest_tap = f"wr{index}{side}", f"wg{index}{side}"
    planner.bridges.append(p.Bridge(namespace=namespace, ifname=bridge))
    planner._tap(link, end, master=bridge, ifname=relay_tap)
    planner._tap(link, end, master=bridge, ifname=guest_tap)
    planner._attach_nic(end, tap=guest_tap, tap_namespace=namespace)
    return relay_tap


def find_relay(relays, name: str) -> Relay | None:
    """An impaired link by NODE:IF of either end, by NODE:IF--NODE:IF, or by its index in the topology's links."""
    return next((relay for relay in relays if name in (relay.name, str(relay.link), *relay.ends())), None)


def schedule_problems(topology, relays) -> list[str]:
    """Every event's link must be impaired (only relay links change at run time), every node a unikernel."""
    problems = []
    if topology.schedule and not topology.traffic:
        problems.append("schedule: its times count from the start of traffic, and there is no traffic:")
    for index, event in enumerate(topology.schedule):
        where = f"schedule.{index}.{event.kind}"
        link = event.impair.link if event.impair is not None else event.spec
        if event.kind in ("link_down", "link_up", "impair") and find_relay(relays, link) is None:
            problems.append(f"{where}: {link!r} is not an impaired link (give the link `impair:`, even {{}}, "
                            "so a relay carries it)")
        node = event.spec if event.kind in ("node_stop", "node_start") else None
        if node is not None and getattr(topology.nodes.get(node), "kind", None) != "unikernel":
            problems.append(f"{where}: {node!r} is not a unikernel node")
    return problems
