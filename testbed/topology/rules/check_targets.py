"""topology.rules.check_targets: the `checks:` section names existing nodes that can run and answer each check."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.addressing import AddressPlan
from testbed.topology.rules.findings import Finding, unknown_name
from testbed.topology.schema import Topology


def check_targets(topology: Topology, addresses: AddressPlan) -> Iterator[Finding]:
    for index, check in enumerate(topology.checks):
        if check.kind == "ping":
            yield from _ping(topology, addresses, ("checks", index, "ping"), check.spec)


def _ping(topology: Topology, addresses: AddressPlan, path: tuple, ping) -> Iterator[Finding]:
    known = True
    for field, name in (("from", ping.from_), ("to", ping.to)):
        if name not in topology.nodes:
            known = False
            yield Finding((*path, field), unknown_name("node", name, topology.nodes))
    if ping.count * ping.interval > ping.timeout:
        yield Finding(path, f"{ping.count} pings {ping.interval} s apart take {ping.count * ping.interval:g} s, "
                      f"longer than the timeout of {ping.timeout:g} s: raise timeout or lower count")
    if not known:
        return
    source, target = topology.nodes[ping.from_], topology.nodes[ping.to]
    if ping.from_ == ping.to:
        yield Finding((*path, "to"), f"{ping.to} pinging itself tests no link: ping another node")
    if source.kind != "netns":
        yield Finding((*path, "from"), f"ping runs in a netns node, and {ping.from_} is a {source.kind}: "
                      f"ping from a netns node to {ping.from_} instead")
    elif not addresses.of_node(ping.from_):
        yield Finding((*path, "from"), f"{ping.from_} has no address: give its link a subnet or addresses")
    if target.kind == "bridge":
        yield Finding((*path, "to"), f"{ping.to} is a bridge, which has no address: ping a node on it")
    elif not addresses.of_node(ping.to):
        yield Finding((*path, "to"), f"{ping.to} has no address: give its link a subnet or addresses")
