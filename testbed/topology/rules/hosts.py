"""topology.rules.hosts: with a `hosts:` section every node names one of them; without it, no node names any."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Topology
from testbed.topology.schema.hosts import tunnel_mtu


def check_hosts(topology: Topology) -> Iterator[Finding]:
    names = sorted(topology.hosts)
    for name, node in topology.nodes.items():
        if node.host is None and names:
            yield Finding(("nodes", name), f"node {name} needs `host:` (one of {', '.join(names)}): "
                          "the topology spans hosts", at_key=True)
        elif node.host is not None and not names:
            yield Finding(("nodes", name, "host"), f"no host {node.host!r}: the topology has no `hosts:` section")
        elif node.host is not None and node.host not in topology.hosts:
            yield Finding(("nodes", name, "host"), f"no host {node.host!r} under `hosts:` (there are "
                          f"{', '.join(names)})")
    yield from _shared_underlay(topology)
    yield from _crossing_links(topology)


def _shared_underlay(topology: Topology) -> Iterator[Finding]:
    """Two hosts on one underlay address would tunnel to themselves."""
    first: dict[str, str] = {}
    for name, host in topology.hosts.items():
        earlier = first.setdefault(host.underlay, name)
        if earlier != name:
            yield Finding(("hosts", name, "underlay"), f"{host.underlay} is also the underlay address of host "
                          f"{earlier}", see=("hosts", earlier, "underlay"))


def _crossing_links(topology: Topology) -> Iterator[Finding]:
    """A link between hosts runs through a VXLAN tunnel: one IP version on both sides, and its MTU must fit."""
    for index, link in enumerate(topology.links):
        nodes = [topology.nodes.get(end.node) for end in link.ends]
        hosts = [node.host if node is not None else None for node in nodes]
        if None in hosts or hosts[0] == hosts[1] or any(h not in topology.hosts for h in hosts):
            continue
        carried = tunnel_mtu(topology.hosts[hosts[0]], topology.hosts[hosts[1]])
        if carried is None:
            yield Finding(("links", index), f"hosts {hosts[0]} and {hosts[1]} have underlay addresses of "
                          "different IP versions: no tunnel can carry this link between them")
        elif link.mtu is not None and link.mtu > carried:
            yield Finding(("links", index, "mtu"), f"{link.mtu} is more than the VXLAN tunnel between {hosts[0]} "
                          f"and {hosts[1]} carries ({carried}: the underlay MTU less the tunnel's header)")
