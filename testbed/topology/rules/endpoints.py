"""topology.rules.endpoints: link endpoints name known nodes, are used once, and have names their node kind accepts."""
from __future__ import annotations

import re
from collections.abc import Iterator

from testbed.topology.rules.findings import Finding, unknown_name
from testbed.topology.schema import EndpointRef, Link, Topology
from testbed.topology.source import DataPath

IFNAMSIZ_CHARS = 15  # the kernel's IFNAMSIZ (16) less the terminating NUL
KERNEL_IFNAME_FORBIDDEN = re.compile(r"[/:%\s]")  # dev_valid_name() refuses / : and spaces; % asks for a number
# Solo5 monitors parse --net:NAME=TAP with %67[A-Za-z0-9]: a manifest name longer or with other characters can't attach.
MANIFEST_NAME_RE = re.compile(r"^[A-Za-z0-9]{1,67}$")


def check_endpoints(topology: Topology) -> Iterator[Finding]:
    first_use: dict[EndpointRef, DataPath] = {}
    for index, link in enumerate(topology.links):
        yield from _link_shape(topology, index, link)
        for position, end in enumerate(link.endpoints):
            path = ("links", index, "endpoints", position)
            node = topology.nodes.get(end.node)
            if node is None:
                yield Finding(path, unknown_name("node", end.node, topology.nodes))
                continue
            yield from _ifname(node.kind, end, path)
            if end in first_use:
                yield Finding(path, f"{end} is already on another link: an interface joins one "
                              "link (to join more, put a bridge node between them)", see=first_use[end])
            else:
                first_use[end] = path


def _link_shape(topology: Topology, index: int, link: Link) -> Iterator[Finding]:
    a, b = link.endpoints
    path = ("links", index, "endpoints")
    if a.node == b.node:
        yield Finding(path, f"a link from {a.node} to itself: a link joins two different nodes")
        return
    kinds = {topology.nodes[end.node].kind for end in (a, b) if end.node in topology.nodes}
    if kinds == {"bridge"}:
        yield Finding(path, f"a link between two bridges ({a.node}, {b.node}): use one bridge for the segment, "
                      "or route between them through a netns node")


def _ifname(kind: str, end: EndpointRef, path: DataPath) -> Iterator[Finding]:
    if kind == "unikernel":
        if not MANIFEST_NAME_RE.match(end.ifname):
            yield Finding(path, f"{end.ifname!r} is not a manifest device name: a unikernel's interface is "
                          "named by its image's manifest, 1-67 letters and digits (e.g. service0)")
        return
    what = "port name" if kind == "bridge" else "interface name"
    problem = kernel_ifname_problem(end.ifname)
    if problem:
        yield Finding(path, f"{what} {end.ifname!r} on {end.node}: {problem}")


def kernel_ifname_problem(ifname: str) -> str | None:
    """Why the kernel would refuse this interface name, or None."""
    if len(ifname) > IFNAMSIZ_CHARS:
        return f"{len(ifname)} characters, the kernel allows at most {IFNAMSIZ_CHARS} (IFNAMSIZ)"
    if ifname in (".", ".."):
        return "'.' and '..' are not interface names"
    if KERNEL_IFNAME_FORBIDDEN.search(ifname):
        return "the kernel refuses '/', ':', '%' and spaces in interface names"
    if ifname == "lo":
        return "'lo' is the namespace's loopback, which already exists: pick another name"
    return None
