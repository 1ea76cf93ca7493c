"""topology.rules.sleep: `sleep: hlt` only where its wakes arrive: not at a direct end of an shm link, whose peer's
kick reaches the guest only in its POLL exit (the monitor refuses that pairing; this says so at load, in place)."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.findings import Finding
from testbed.topology.rules.link_types import shm_capable
from testbed.topology.schema import EndpointRef, Link, Topology


def mediated(link: Link, end: EndpointRef) -> bool:
    """Whether this end's monitor carries the link through its IO thread (which then wakes its guest, halted or not):
    the first end of an impaired link, the captured end (by default the first) of a captured one."""
    first = link.ends[0]
    captured = link.capture is not None and str(end) == (link.capture.at or str(first))
    return (link.impair is not None and end is first) or captured


def is_shm_link(topology: Topology, link: Link) -> bool:
    nodes = [topology.nodes.get(end.node) for end in link.ends]
    if not all(node is not None and node.kind == "unikernel" for node in nodes):
        return False
    return link.type == "shm" or (link.type is None and shm_capable(topology, link))


def check_sleep(topology: Topology) -> Iterator[Finding]:
    for index, link in enumerate(topology.links):
        if not is_shm_link(topology, link):
            continue
        for end in link.ends:
            node = topology.nodes[end.node]
            if node.sleep == "hlt" and not mediated(link, end):
                yield Finding(("nodes", end.node, "sleep"),
                              f"hlt does not work on {end}, a direct end of an shm link (the peer's kick wakes only a "
                              "guest sleeping in its POLL exit): impair or capture the link at this end (its monitor "
                              "then wakes the guest), write type: tap, or sleep: exit", see=("links", index))
