"""plan.shm_links: which unikernel-to-unikernel links are shm links (shared rings, no kernel) and their NICs' plan."""
from __future__ import annotations

from typing import TYPE_CHECKING

from testbed.plan import model as p
from testbed.topology.schema import EndpointRef, Link

if TYPE_CHECKING:
    from testbed.plan.planner import _Planner

SHM_IO_MODES = frozenset({"poll", "event", "hybrid"})  # the monitor's ring modes: an shm link needs one at each end
SLOT_FRAME_MAX = 2040  # tb_ring.h: TB_SHM_FRAME_MAX, a slot's frame bytes
KERNEL_ONLY = ("rate", "impair", "capture")  # link settings the kernel (or a relay) applies: an shm link has neither


def plan_shm_link(planner: _Planner, index: int, link: Link, a: EndpointRef, b: EndpointRef) -> bool:
    """True when the link is an shm link (its two NICs are then planned); False leaves it to TAPs on a bridge.

    No `type:` means shm when both ends use a ring mode and the link asks for nothing only the kernel does."""
    if link.type == "tap":
        return False
    nodes = planner.topology.nodes
    modes = {end: nodes[end.node].io for end in (a, b)}
    kernel_only = [name for name in KERNEL_ONLY if getattr(link, name, None)]
    if link.type is None and (not set(modes.values()) <= SHM_IO_MODES or kernel_only):
        return False
    where = f"links[{index}]"
    for end, io in modes.items():
        if io not in SHM_IO_MODES:
            planner.problems.append(f"{where}: type: shm needs io: poll, event or hybrid at both ends "
                                    f"({end.node} has io: {io}); or write type: tap")
    for name in kernel_only:
        planner.problems.append(f"{where}: type: shm bypasses the kernel, so it cannot apply {name}: "
                                "write type: tap")
    mtu = link.mtu or 1500
    if mtu + 14 > SLOT_FRAME_MAX:
        planner.problems.append(f"{where}: mtu {mtu} does not fit an shm ring slot (at most {SLOT_FRAME_MAX - 14})")
    link_id = f"{planner.run_id}-l{index}"
    for side, (end, peer) in enumerate(((a, b), (b, a))):
        node = nodes[end.node]
        mac = node.macs.get(end.ifname) or planner_mac(planner, end)
        planner.shm_nics.setdefault(end.node, []).append(
            p.ShmNic(name=end.ifname, link=link_id, side=side, peer=peer, mac=mac.lower(), mtu=mtu))
    return True


def planner_mac(planner: _Planner, end: EndpointRef) -> str:
    from testbed.plan.planner import guest_mac
    return guest_mac(planner.run_id, end.node, end.ifname)
