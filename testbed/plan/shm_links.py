"""plan.shm_links: which unikernel-to-unikernel links are shm links (shared rings, no kernel) and their NICs' plan;
an impaired link's impairment goes to its first end's monitor, which then carries the link through its IO thread."""
from __future__ import annotations

from typing import TYPE_CHECKING

from testbed.plan import model as p
from testbed.plan.relay import link_id, link_name
from testbed.topology.rules.link_types import ring_slots, shm_capable
from testbed.topology.schema import EndpointRef, Link
from testbed.topology.schema.impair import link_seed

if TYPE_CHECKING:
    from testbed.plan.planner import _Planner


def shm_wanted(planner: _Planner, link: Link) -> bool:
    """`type: shm`, or no `type:` and both ends unikernels in ring modes asking nothing only the kernel does."""
    both = all(planner.kind(end.node) == "unikernel" for end in link.endpoints)
    return both and (link.type == "shm" or (link.type is None and shm_capable(planner.topology, link)))


def plan_impairment(planner: _Planner, index: int, link: Link) -> None:
    """An impaired shm link is carried by its first end's monitor (forward is what that NIC sends), recorded as a
    monitor-impaired link: the same seed and link identity as a relay's, the monitor's --impair flags and control
    file (so `testbed impair`, `testbed links`, `schedule:` and the impaired checks reach it)."""
    from testbed.plan.relay import Relay

    a = link.endpoints[0]
    name = link_name(link)
    seed = link.impair.seed if link.impair.seed is not None else link_seed(planner.topology.seed, name)
    planner.relays.append(Relay(link=index, name=name, link_id=link_id(name), seed=seed,
                                forward=link.impair.direction(forward=True).engine_text(seed),
                                reverse=link.impair.direction(forward=False).engine_text(seed),
                                monitor=a.node, nic=a.ifname, nic_sends="ab"))


def plan_shm_link(planner: _Planner, index: int, link: Link, a: EndpointRef, b: EndpointRef) -> bool:
    """True when the link is an shm link (its two NICs are then planned); False leaves it to TAPs on a bridge.

    No `type:` means shm when both ends use a ring mode and the link asks for nothing only the kernel does."""
    if not shm_wanted(planner, link):
        return False
    # type: shm where it cannot work was refused by the static checks (topology.rules.link_types).
    mtu = link.mtu or 1500
    memfd_name = f"{planner.run_id}-l{index}"
    for side, (end, peer) in enumerate(((a, b), (b, a))):
        node = planner.topology.nodes[end.node]
        mac = node.macs.get(end.ifname) or planner_mac(planner, end)
        planner.shm_nics.setdefault(end.node, []).append(
            p.ShmNic(name=end.ifname, link=memfd_name, side=side, peer=peer, mac=mac.lower(), mtu=mtu,
                     slots=ring_slots(node)))
    if link.impair:
        plan_impairment(planner, index, link)
    return True


def planner_mac(planner: _Planner, end: EndpointRef) -> str:
    from testbed.plan.planner import guest_mac
    return guest_mac(planner.run_id, end.node, end.ifname)
