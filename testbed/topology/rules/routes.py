"""topology.rules.routes: every gateway (netns routes, a unikernel's gateway) is on a subnet its node is attached to."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from testbed.topology.rules.addressing import AddressPlan
from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Topology
from testbed.topology.source import DataPath


def check_routes(topology: Topology, addresses: AddressPlan) -> Iterator[Finding]:
    for name, node in topology.nodes.items():
        if node.kind == "netns":
            yield from _netns_routes(name, node, addresses)
        elif node.kind == "unikernel" and node.gateway is not None:
            yield from _gateway(name, node.gateway, ("nodes", name, "gateway"), addresses)


def _netns_routes(name: str, node, addresses: AddressPlan) -> Iterator[Finding]:
    first_route: dict[object, DataPath] = {}
    for index, route in enumerate(node.routes):
        path = ("nodes", name, "routes", index)
        yield from _gateway(name, route.via, (*path, "via"), addresses)
        destination = ipaddress.ip_network("0.0.0.0/0" if route.dst == "default" else route.dst, strict=False)
        if destination in first_route:
            yield Finding((*path, "dst"), f"a second route to {route.dst} on {name}: the kernel keeps one "
                          "route per destination", see=first_route[destination])
        first_route.setdefault(destination, (*path, "dst"))


def _gateway(name: str, gateway: str, path: DataPath, addresses: AddressPlan) -> Iterator[Finding]:
    own = addresses.of_node(name)
    ip = ipaddress.ip_address(gateway)
    if any(ip == address.ip for address in own):
        yield Finding(path, f"{gateway} is {name}'s own address: a gateway is another node's address")
    elif not any(ip in address.network for address in own):
        subnets = ", ".join(str(address.network) for address in own) or "none: it has no address"
        yield Finding(path, f"gateway {gateway} is not on any subnet of {name} ({subnets}): "
                      "a gateway must be directly reachable")
