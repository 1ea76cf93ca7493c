"""plan.relay: a link with `impair:` is impaired either by a relay (tb-wire) joining a TAP at each end, when both
ends are kernel interfaces, or by the monitor of a unikernel end on its NIC's own path (the link is then planned as a
plain link and that monitor gets --impair flags and a control file, so the link still changes at run time)."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from testbed.topology.schema import EndpointRef, Link
from testbed.topology.schema.impair import link_seed

if TYPE_CHECKING:
    from testbed.plan.planner import _Planner


class Relay(BaseModel):
    """An impaired link: end a is the link's first endpoint; `forward` impairs a -> b, `reverse` b -> a. Carried by
    one tb-wire process between two TAPs, or (monitor set) by that unikernel node's monitor on its NIC `nic`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    link: int  # index in topology.links
    name: str  # NODE:IF--NODE:IF, what `testbed impair` and `testbed links` call it
    a_namespace: str = ""  # the relay's TAPs (a tb-wire link only)
    a_tap: str = ""
    b_namespace: str = ""
    b_tap: str = ""
    link_id: int  # the link's part of the decisions' key
    seed: int
    forward: str  # the engine's key=value text
    reverse: str
    monitor: str | None = None  # the unikernel node whose monitor impairs the link: no tb-wire
    nic: str | None = None  # that node's NIC on the link
    nic_sends: Literal["ab", "ba"] = "ab"  # which way that NIC's TX is: ab when it is the first endpoint

    @property
    def process(self) -> str:
        """Its key among the run's processes (next to the monitors' node names)."""
        return f"wire:{self.link}"

    @property
    def by_monitor(self) -> bool:
        return self.monitor is not None

    def nic_direction(self, wire: str) -> int:
        """The monitor's engine direction (0: what the NIC sends, 1: what it receives) carrying wire way ab or ba."""
        return 0 if wire == self.nic_sends else 1

    def monitor_flags(self) -> list[str]:
        """The NIC's --impair flags for its monitor (the control file's flag is per monitor: apply.relay)."""
        sends, receives = (self.forward, self.reverse) if self.nic_sends == "ab" else (self.reverse, self.forward)
        return [f"--impair-link:{self.nic}={self.link_id}", f"--impair-tx:{self.nic}={sends}",
                f"--impair-rx:{self.nic}={receives}"]

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
    """With a unikernel end: a plain link whose first unikernel end's monitor impairs it. Otherwise a TAP for the
    relay at each end, addresses and interfaces as for any link, and the relay itself."""
    from testbed.plan import model as p

    a, b = link.endpoints
    name = link_name(link)
    seed = link.impair.seed if link.impair.seed is not None else link_seed(planner.topology.seed, name)
    texts = {"link": index, "name": name, "link_id": link_id(name), "seed": seed,
             "forward": link.impair.direction(forward=True).engine_text(seed),
             "reverse": link.impair.direction(forward=False).engine_text(seed)}
    guest = next((end for end in (a, b) if planner.kind(end.node) == "unikernel"), None)
    if guest is not None:
        # On TAPs (type: tap): an shm link would bypass the monitor's NIC path (impaired shm links are planned
        # before this, by plan.shm_links).
        planner._plan_link(index, link.model_copy(update={"impair": None, "type": "tap"}), addresses)
        planner.relays.append(Relay(**texts, monitor=guest.node, nic=guest.ifname,
                                    nic_sends="ab" if guest is a else "ba"))
        return
    for end in (a, b):
        planner._tap(link, end, master=planner._master(end))
    for end, peer in ((a, b), (b, a)):
        address = addresses.get(end)
        planner.interfaces.setdefault(end.node, []).append(p.Interface(
            name=end.ifname, address=address, mechanism="wire", peer=peer, link=index))
        if address and planner.kind(end.node) == "netns":
            planner.addresses.append(p.Address(namespace=planner.ns(end.node), ifname=end.ifname, address=address))
    planner.relays.append(Relay(**texts, a_namespace=planner.ns(a.node), a_tap=a.ifname,
                                b_namespace=planner.ns(b.node), b_tap=b.ifname))


def find_relay(relays, name: str) -> Relay | None:
    """An impaired link by NODE:IF of either end, by NODE:IF--NODE:IF, or by its index in the topology's links."""
    return next((relay for relay in relays if name in (relay.name, str(relay.link), *relay.ends())), None)


def schedule_problems(topology, relays, netem=()) -> list[str]:
    """Every event's link must be impaired by our engine (only those change at run time), every node a unikernel."""
    from testbed.plan.netem import find_netem

    problems = []
    if topology.schedule and not topology.traffic:
        problems.append("schedule: its times count from the start of traffic, and there is no traffic:")
    for index, event in enumerate(topology.schedule):
        where = f"schedule.{index}.{event.kind}"
        link = event.impair.link if event.impair is not None else event.spec
        if event.kind in ("link_down", "link_up", "impair") and find_netem(netem, link) is not None:
            problems.append(f"{where}: {link!r} has engine: netem, which does not change at run time here "
                            "(use engine: ours to schedule it)")
        elif event.kind in ("link_down", "link_up", "impair") and find_relay(relays, link) is None:
            problems.append(f"{where}: {link!r} is not an impaired link (give the link `impair:`, even {{}}, "
                            "so a relay or a monitor impairs it)")
        node = event.spec if event.kind in ("node_stop", "node_start") else None
        if node is not None and getattr(topology.nodes.get(node), "kind", None) != "unikernel":
            problems.append(f"{where}: {node!r} is not a unikernel node")
    return problems
