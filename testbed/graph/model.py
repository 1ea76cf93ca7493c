"""graph.model: the drawing's content, from a topology and its plan: what each node is, what carries each link and with
which settings (rate, MTU, impairments, capture: whatever fields the link sets), independent of the output format."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from testbed.plan import planner
from testbed.plan.model import Plan
from testbed.topology.schema import Link, Topology

DURATION_NS = re.compile(r"^(\d+)ns$")  # how the schema writes a duration back out
RUN_ID = "graph"  # a fixed run id: the drawing holds no per-run names
# Link fields drawn as the link's ends (or used to compute them), not listed among its settings.
END_FIELDS = {"endpoints", "subnet", "addresses"}
HIDDEN_SETTINGS = {"dir"}  # folders on this machine: not part of the network, and would make drawings differ per checkout


@dataclass(frozen=True)
class End:
    node: str
    ifname: str
    address: str | None


@dataclass(frozen=True)
class GraphNode:
    name: str
    kind: str
    details: dict[str, str] = field(default_factory=dict)  # image and io for a unikernel, subnet for a bridge


@dataclass(frozen=True)
class GraphLink:
    index: int
    mechanism: str  # veth, tap, wire (a relay), bridge (two guests on a private bridge), shm (rings joined)
    ends: tuple[End, End]
    settings: dict  # every other field the link sets (rate, mtu, impair, capture, ...) but defaults, as JSON values


@dataclass(frozen=True)
class Graph:
    name: str
    nodes: tuple[GraphNode, ...]
    links: tuple[GraphLink, ...]


def build(topology: Topology) -> Graph:
    # Images are named, never opened: a drawing needs no built image.
    plan = planner.make_plan(topology, RUN_ID, resolve_image=lambda image: Path(image))
    nodes = tuple(GraphNode(name, node.kind, _details(node)) for name, node in topology.nodes.items())
    links = tuple(_link(index, link, plan) for index, link in enumerate(topology.links))
    return Graph(topology.name, nodes, links)


def _details(node) -> dict[str, str]:
    if node.kind == "unikernel":
        return {"image": Path(node.image).name, "io": node.io}
    if node.kind == "bridge" and node.subnet:
        return {"subnet": node.subnet}
    return {}


def _link(index: int, link: Link, plan: Plan) -> GraphLink:
    ends, mechanisms = [], []
    for end in link.ends:
        interface = next(i for i in plan.node(end.node).interfaces if i.link == index and i.name == end.ifname)
        ends.append(End(end.node, end.ifname, interface.address))
        mechanisms.append(interface.mechanism)
    settings = link.model_dump(mode="json", exclude=END_FIELDS, exclude_defaults=True)
    return GraphLink(index, _mechanism(mechanisms, _on_taps(plan, link)), (ends[0], ends[1]), settings)


def _on_taps(plan: Plan, link: Link) -> bool:
    """Whether every guest end of the link has a TAP (else two monitors' rings are joined directly)."""
    for end in link.ends:
        monitor = plan.monitor(end.node)
        if monitor is not None and not any(nic.name == end.ifname for nic in monitor.nics):
            return False
    return True


def _mechanism(ends: list[str], on_taps: bool) -> str:
    kernel = sorted({m for m in ends if m != "guest"})
    if kernel:
        return "+".join(kernel)  # veth, tap, wire (a relay)
    return "bridge" if on_taps else "shm"  # guest to guest: TAPs on a private bridge, or rings joined directly


def flat_settings(settings: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested settings as (dotted key, value text) pairs, in the order the schema declares them."""
    pairs = []
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if key in HIDDEN_SETTINGS:
            continue
        if isinstance(value, dict):
            pairs += flat_settings(value, f"{name}.") or [(name, "on")]  # `capture: true`: all defaults
        elif isinstance(value, list):
            pairs.append((name, ",".join(str(v) for v in value)))
        else:
            pairs.append((name, human(name, value)))
    return pairs


def human(name: str, value: object) -> str:
    """A setting as people write it: the schema stores durations in ns, rates in bit/s and impairments' chances
    as percent numbers."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and (match := DURATION_NS.match(value)):
        return _duration(int(match.group(1)))
    under_impair = name.startswith("impair.")
    if under_impair and isinstance(value, float):
        return f"{value:g}%"
    if under_impair and name.rsplit(".", 1)[-1] == "rate" and isinstance(value, int):
        return _bitrate(value)
    return str(value)


def _duration(ns: int) -> str:
    for unit, size in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns >= size:
            return f"{ns / size:g}{unit}"
    return f"{ns}ns"


def _bitrate(bits: int) -> str:
    for unit, size in (("gbit", 10**9), ("mbit", 10**6), ("kbit", 10**3)):
        if bits >= size:
            return f"{bits / size:g}{unit}"
    return f"{bits}bit"
