"""plan.shm_links: which unikernel-to-unikernel links are shm links (shared rings, no kernel) and their NICs' plan."""
from __future__ import annotations

from typing import TYPE_CHECKING

from testbed.plan import model as p
from testbed.topology.rules.link_types import ring_slots, shm_capable
from testbed.topology.schema import EndpointRef, Link

if TYPE_CHECKING:
    from testbed.plan.planner import _Planner


def plan_shm_link(planner: _Planner, index: int, link: Link, a: EndpointRef, b: EndpointRef) -> bool:
    """True when the link is an shm link (its two NICs are then planned); False leaves it to TAPs on a bridge.

    No `type:` means shm when both ends use a ring mode and the link asks for nothing only the kernel does."""
    if link.type == "tap" or (link.type is None and not shm_capable(planner.topology, link)):
        return False
    # type: shm where it cannot work was refused by the static checks (topology.rules.link_types).
    mtu = link.mtu or 1500
    link_id = f"{planner.run_id}-l{index}"
    for side, (end, peer) in enumerate(((a, b), (b, a))):
        node = planner.topology.nodes[end.node]
        mac = node.macs.get(end.ifname) or planner_mac(planner, end)
        planner.shm_nics.setdefault(end.node, []).append(
            p.ShmNic(name=end.ifname, link=link_id, side=side, peer=peer, mac=mac.lower(), mtu=mtu,
                     slots=ring_slots(node)))
    return True


def planner_mac(planner: _Planner, end: EndpointRef) -> str:
    from testbed.plan.planner import guest_mac
    return guest_mac(planner.run_id, end.node, end.ifname)
