"""topology.rules.traffic_refs: `traffic:` items and the checks beyond ping name nodes of the right kind and real items."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.addressing import is_ip
from testbed.topology.rules.findings import Finding, unknown_name
from testbed.topology.schema import Topology

RESERVED_NAMES = {"receivers"}  # the scheduler's total over receivers
# (kind, field) -> the node kind it must name; "node*" also accepts an IPv4 address.
TRAFFIC_NODES = {
    "udpgen": {"from_": "netns", "to": "node*"}, "ping": {"from_": "netns", "to": "node*"},
    "iperf3": {"client": "netns", "server": "netns"}, "app": {"node": "unikernel"},
    "tapread": {"node": "unikernel"}, "counters": {"node": "netns"},
}
CHECK_NODES = {"monitor": "unikernel", "exit_status": "unikernel", "console": "unikernel", "command": "netns"}


def check_traffic(topology: Topology) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, item in enumerate(topology.traffic):
        path = ("traffic", index)
        if item.name in seen:
            yield Finding((*path, "name"), f"traffic name {item.name!r} is used twice", see=("traffic", seen[item.name],
                                                                                           "name"))
        elif item.name in RESERVED_NAMES:
            yield Finding((*path, "name"), f"{item.name!r} is reserved (the total over receivers): pick another name")
        seen.setdefault(item.name, index)
        for field, wanted in TRAFFIC_NODES[item.kind].items():
            key = "from" if field == "from_" else field
            yield from _node(topology, (*path, item.kind, key), getattr(item.spec, field), wanted)
    for index, check in enumerate(topology.checks):
        path = ("checks", index, check.kind)
        if check.kind == "delivered":
            for key, name in (("to", check.spec.to), ("from", check.spec.from_)):
                if name is not None and name not in seen:
                    yield Finding((*path, key), unknown_name("traffic item", name, seen))
        elif check.kind == "rx_rate" and check.spec.traffic not in seen:
            yield Finding((*path, "traffic"), unknown_name("traffic item", check.spec.traffic, seen))
        elif check.kind in CHECK_NODES:
            yield from _node(topology, (*path, "node"), check.spec.node, CHECK_NODES[check.kind])
    if topology.sweep is not None:
        yield from _sweep_metrics(topology, set(seen))


def _sweep_metrics(topology: Topology, items: set[str]) -> Iterator[Finding]:
    """A metric is TRAFFIC.FIGURE: a misspelt item would only show up as an empty column after the whole sweep."""
    sweep = topology.sweep
    named = [(("sweep", "metrics", i), metric) for i, metric in enumerate(sweep.metrics)]
    if sweep.primary is not None:
        named.append((("sweep", "primary"), sweep.primary))
    for path, metric in named:
        item, dot, figure = metric.partition(".")
        if not dot or not figure:
            yield Finding(path, f"{metric!r} is not TRAFFIC.FIGURE, e.g. sink.pps")
        elif item not in items | RESERVED_NAMES:
            yield Finding(path, unknown_name("traffic item", item, sorted(items | RESERVED_NAMES)))


def _node(topology: Topology, path: tuple, name: str, wanted: str) -> Iterator[Finding]:
    if wanted == "node*" and is_ip(name):
        return
    node = topology.nodes.get(name)
    if node is None:
        yield Finding(path, unknown_name("node", name, topology.nodes))
    elif wanted == "node*" and node.kind == "bridge":
        yield Finding(path, f"{name} is a bridge, which has no address: name a node on it")
    elif wanted != "node*" and node.kind != wanted:
        yield Finding(path, f"{name} is a {node.kind} node; this needs a {wanted} node")
