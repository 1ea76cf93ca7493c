"""plan.forward_args: the `forward` image's arguments: --if per addressed NIC and static routes computed from the topology."""
from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterator

from testbed.plan import model as p
from testbed.topology.schema import EndpointRef, NetnsNode, Topology, UnikernelNode

FORWARDER_IMAGES = frozenset({"forward", "forward4"})


def is_forwarder(node: object) -> bool:
    return isinstance(node, UnikernelNode) and node.image in FORWARDER_IMAGES


def forward_args(topology: Topology, interfaces: dict[str, list[p.Interface]], name: str,
                 node: UnikernelNode) -> tuple[str, ...]:
    """--if=NIC,ADDR/PREFIX for each addressed NIC; --route=NET,GW for every subnet reached through a neighbour,
    unless the user gave --route (then theirs only); the user's args follow."""
    args = [f"--if={i.name},{i.address}" for i in interfaces.get(name, ()) if i.address]
    if not any(arg.startswith("--route=") for arg in node.args):
        args += [f"--route={net},{via}" for net, via in _routes(topology, interfaces, name)]
    return (*args, *node.args)


def _transits(topology: Topology, name: str) -> bool:
    """Nodes that pass packets on: forwarders, and netns nodes with IPv4 forwarding on."""
    node = topology.nodes[name]
    if isinstance(node, NetnsNode):
        return str(node.sysctls.get("net.ipv4.ip_forward", "0")) == "1"
    return is_forwarder(node)


def _address(interfaces: dict[str, list[p.Interface]], end: EndpointRef) -> str | None:
    return next((i.address for i in interfaces.get(end.node, ()) if i.name == end.ifname), None)


def _neighbours(topology: Topology, interfaces: dict[str, list[p.Interface]],
                name: str) -> Iterator[tuple[str, str]]:
    """(node, its address) for every node one IP hop away: across a link, or across a bridge."""
    for iface in interfaces.get(name, ()):
        peer = iface.peer
        if topology.nodes[peer.node].kind != "bridge":
            ends = [peer]
        else:
            ends = [i.peer for i in interfaces.get(peer.node, ()) if i.peer != EndpointRef(name, iface.name)]
        for end in ends:
            address = _address(interfaces, end)
            if address:
                yield end.node, address.split("/")[0]


def _routes(topology: Topology, interfaces: dict[str, list[p.Interface]], name: str) -> list[tuple[str, str]]:
    """Breadth first from `name`: each subnet not connected here goes via the neighbour that first leads to it."""
    def networks(node: str) -> list[str]:
        return [str(ipaddress.ip_interface(i.address).network) for i in interfaces.get(node, ()) if i.address]

    routed = set(networks(name))
    found: list[tuple[str, str]] = []
    seen = {name}
    queue = deque((node, via) for node, via in _neighbours(topology, interfaces, name))
    while queue:
        node, via = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        for net in networks(node):
            if net not in routed:
                routed.add(net)
                found.append((net, via))
        if _transits(topology, node):
            queue.extend((nxt, via) for nxt, _ in _neighbours(topology, interfaces, node))
    return found
