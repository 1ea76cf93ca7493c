"""topology.rules.hosts: with a `hosts:` section every node names one of them; without it, no node names any."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Topology


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


def _shared_underlay(topology: Topology) -> Iterator[Finding]:
    """Two hosts on one underlay address would tunnel to themselves."""
    first: dict[str, str] = {}
    for name, host in topology.hosts.items():
        earlier = first.setdefault(host.underlay, name)
        if earlier != name:
            yield Finding(("hosts", name, "underlay"), f"{host.underlay} is also the underlay address of host "
                          f"{earlier}", see=("hosts", earlier, "underlay"))
