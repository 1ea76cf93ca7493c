"""topology.rules.link_types: a link's `type: shm` can work: two unikernels in ring modes, nothing only the kernel does
(`impair:` and `capture:` are applied by a monitor's IO thread on the link: a mediated shm link)."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Link, Topology

SHM_IO_MODES = ("poll", "event", "hybrid")  # the monitor's ring modes: an shm link needs one at each end
KERNEL_ONLY = ("rate",)  # link settings only the kernel applies: an shm link has no kernel
SHM_MTU_MAX = 2040 - 14  # tb_ring.h: a slot holds TB_SHM_FRAME_MAX (2040) frame bytes, Ethernet header included


DEFAULT_SLOTS = 512  # the monitor's --shm-slots default


def ring_slots(node) -> int:
    """A unikernel's ring size: both ends of an shm link share their rings, so theirs must be equal."""
    return node.ring_slots or DEFAULT_SLOTS


def shm_capable(topology: Topology, link: Link) -> bool:
    """Both ends unikernels in a ring mode with the same ring size, and nothing asked of the link that only the
    kernel does."""
    nodes = [topology.nodes.get(end.node) for end in link.endpoints]
    return (all(node is not None and node.kind == "unikernel" and node.io in SHM_IO_MODES for node in nodes)
            and ring_slots(nodes[0]) == ring_slots(nodes[1])
            and not any(getattr(link, name, None) for name in KERNEL_ONLY))


def check_link_types(topology: Topology) -> Iterator[Finding]:
    for index, link in enumerate(topology.links):
        if link.type != "shm":
            continue
        where = ("links", index, "type")
        for end in link.endpoints:
            node = topology.nodes.get(end.node)
            if node is None:
                continue  # an unknown node is reported by the endpoint checks
            if node.kind != "unikernel":
                yield Finding(where, f"type: shm joins two unikernels; {end.node} is a {node.kind} node")
            elif node.io not in SHM_IO_MODES:
                yield Finding(where, f"type: shm needs io: poll, event or hybrid at both ends ({end.node} has "
                              f"io: {node.io}); or write type: tap")
        for name in KERNEL_ONLY:
            if getattr(link, name, None):
                yield Finding(where, f"type: shm bypasses the kernel, so it cannot apply {name}: write type: tap")
        nodes = [topology.nodes.get(end.node) for end in link.endpoints]
        unikernels = all(node is not None and node.kind == "unikernel" for node in nodes)
        if unikernels and ring_slots(nodes[0]) != ring_slots(nodes[1]):
            a, b = link.endpoints
            yield Finding(where, f"type: shm shares one ring pair, so both ends need the same ring_slots "
                          f"({a.node}: {ring_slots(nodes[0])}, {b.node}: {ring_slots(nodes[1])})")
        if link.mtu and link.mtu > SHM_MTU_MAX:
            yield Finding(where, f"mtu {link.mtu} does not fit an shm ring slot (at most {SHM_MTU_MAX})")
