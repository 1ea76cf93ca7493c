"""cluster.partition: one topology per host, addressed from the whole lab's plan, and the VXLAN tunnels between them.

A link whose ends are on different hosts becomes, on each side, a link from the local end to a bridge that stands
in for the far side, and the agent adds a VXLAN device (VNI per link) to that bridge. A bridge node's ports on other
hosts join one bridge per host that extends it, tunnelled to the bridge's own host (VNI per bridge and host). So
every local end is an ordinary link (veth, or the TAP of a unikernel), with its address from the whole lab's plan
and its MTU lowered by the tunnel's header.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from testbed.topology.rules.addressing import plan_addresses
from testbed.topology.schema import EndpointRef, Link, Topology
from testbed.topology.schema.hosts import tunnel_mtu

VXLAN_PORT = 4789  # IANA's
VNI_SPACE = (1 << 24) - 2  # VNIs 1 .. 2^24-2: 0 and 2^24-1 are avoided by some switches
DEFAULT_MTU = 1500
STAND_IN_PREFIX = "vx"


@dataclass(frozen=True)
class Tunnel:
    """One host's end of a link that crosses hosts: a VXLAN device in `bridge_node`'s namespace, on its bridge."""

    link: int
    vni: int
    bridge_node: str
    local: str
    remote: str
    mtu: int

    def to_json(self) -> dict:
        return self.__dict__.copy()


@dataclass
class Part:
    """What one host runs: its nodes, as a topology of their own, and its tunnel ends."""

    host: str
    nodes: set[str] = field(default_factory=set)
    topology: dict = field(default_factory=dict)
    tunnels: list[Tunnel] = field(default_factory=list)


def vni_base(run_id: str) -> int:
    """A run's VNIs are consecutive from a base its id picks: two runs on one underlay rarely meet, and a clash
    is the kernel's clear refusal at up, never crossed traffic."""
    return int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:3], "big") % VNI_SPACE


def vni(run_id: str, link: int) -> int:
    return 1 + (vni_base(run_id) + link) % VNI_SPACE


def partition(topology: Topology, run_id: str) -> dict[str, Part]:
    """Each host's part, in `hosts:` order (a host without nodes has none), of a topology the static checks
    passed (they judged the tunnels' IP versions and MTUs)."""
    addresses = {end: str(address) for end, address in plan_addresses(topology).of_endpoint().items()}
    parts = {name: Part(name) for name in topology.hosts}
    base = _base_topology(topology)
    for name, node in base["nodes"].items():
        parts[topology.nodes[name].host].nodes.add(name)
        parts[topology.nodes[name].host].topology.setdefault("nodes", {})[name] = node
    taken = set(topology.nodes)
    extensions: dict[tuple[str, str], str] = {}  # (bridge, host) -> the bridge that extends it on that host
    spanning = _spanning_bridges(topology)
    for index, link in enumerate(topology.links):
        a, b = link.ends
        host_a, host_b = topology.nodes[a.node].host, topology.nodes[b.node].host
        if host_a == host_b:
            _links(parts[host_a]).append(_local_link(link, a, b, addresses, spanning))
            continue
        bridged = [end for end in link.ends if topology.nodes[end.node].kind == "bridge"]
        if bridged:
            member = b if bridged[0] == a else a
            _extend_bridge(parts, topology, run_id, index, link, bridged[0], member, addresses, extensions, taken)
            continue
        _tunnel_link(parts, topology, run_id, index, link, addresses, taken)
    for part in parts.values():
        part.topology = {"name": f"{topology.name}-{part.host}"[:31], **part.topology, "links": _links(part)}
    return {name: part for name, part in parts.items() if part.nodes}


def _base_topology(topology: Topology) -> dict:
    """The nodes as plain data without their host (the parts run on one machine each); checks and traffic stay
    with the orchestrator, which resolves names across hosts."""
    data = topology.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for node in data["nodes"].values():
        node.pop("host", None)
    return data


def _links(part: Part) -> list[dict]:
    return part.topology.setdefault("links", [])


def _local_link(link: Link, a: EndpointRef, b: EndpointRef, addresses: dict[EndpointRef, str],
                spanning: dict[str, int]) -> dict:
    """The link as written, with every address made explicit: a part sees only some of a bridge's ports, so the
    automatic order of the whole lab must not be recomputed from them. A port of a bridge that spans hosts
    takes the tunnel's MTU: a bigger frame would be dropped on its way to the other host."""
    data = link.model_dump(mode="json", exclude_defaults=True, exclude={"subnet", "addresses"})
    data["addresses"] = [addresses.get(a), addresses.get(b)]
    carried = [spanning[end.node] for end in link.ends if end.node in spanning]
    if carried:
        data["mtu"] = min(link.mtu or DEFAULT_MTU, *carried)
    return data


def _spanning_bridges(topology: Topology) -> dict[str, int]:
    """Bridge nodes with ports on other hosts, and the most their tunnels carry."""
    spanning: dict[str, int] = {}
    for link in topology.links:
        hosts = [topology.nodes[end.node].host for end in link.ends]
        if hosts[0] == hosts[1]:
            continue
        carried = tunnel_mtu(topology.hosts[hosts[0]], topology.hosts[hosts[1]]) or DEFAULT_MTU
        for end in link.ends:
            if topology.nodes[end.node].kind == "bridge":
                spanning[end.node] = min(spanning.get(end.node, carried), carried)
    return spanning


def _tunnel_mtu(topology: Topology, link: Link, host_a: str, host_b: str) -> int:
    """The link's MTU through the tunnel (the static checks made sure a tunnel can carry it)."""
    carried = tunnel_mtu(topology.hosts[host_a], topology.hosts[host_b]) or DEFAULT_MTU
    return min(link.mtu or DEFAULT_MTU, carried)


def _tunnel_link(parts: dict[str, Part], topology: Topology, run_id: str, index: int, link: Link,
                 addresses: dict[EndpointRef, str], taken: set[str]) -> None:
    """Each end joins a bridge that stands in for the far side; the link's own tunnel joins the two."""
    (a, b), mtu = link.ends, _tunnel_mtu(topology, link, *(topology.nodes[end.node].host for end in link.ends))
    stand_in = _stand_in_name(index, taken)  # one name on both sides, for whoever reads both parts
    for end, far in ((a, b), (b, a)):
        here, there = topology.nodes[end.node].host, topology.nodes[far.node].host
        part = parts[here]
        part.topology["nodes"][stand_in] = {"kind": "bridge"}
        _links(part).append(_end_link(topology, index, link, end, stand_in, addresses, mtu))
        part.tunnels.append(Tunnel(link=index, vni=vni(run_id, index), bridge_node=stand_in,
                                   local=topology.hosts[here].underlay, remote=topology.hosts[there].underlay, mtu=mtu))


def _extend_bridge(parts: dict[str, Part], topology: Topology, run_id: str, index: int, link: Link,
                   bridge: EndpointRef, member: EndpointRef, addresses: dict[EndpointRef, str],
                   extensions: dict[tuple[str, str], str], taken: set[str]) -> None:
    """A bridge's ports on another host join one bridge there that extends it through one tunnel (VNI per
    bridge and host), so ports on the same host reach each other without crossing hosts."""
    here, home = topology.nodes[member.node].host, topology.nodes[bridge.node].host
    extension = extensions.get((bridge.node, here))
    if extension is None:
        extension = extensions[(bridge.node, here)] = _stand_in_name(index, taken)
        parts[here].topology["nodes"][extension] = {"kind": "bridge"}
        carried = tunnel_mtu(topology.hosts[here], topology.hosts[home]) or DEFAULT_MTU
        shared = {"link": index, "vni": vni(run_id, index), "mtu": carried}
        parts[here].tunnels.append(Tunnel(**shared, bridge_node=extension, local=topology.hosts[here].underlay,
                                          remote=topology.hosts[home].underlay))
        parts[home].tunnels.append(Tunnel(**shared, bridge_node=bridge.node, local=topology.hosts[home].underlay,
                                          remote=topology.hosts[here].underlay))
    mtu = _tunnel_mtu(topology, link, here, home)
    _links(parts[here]).append(_end_link(topology, index, link, member, extension, addresses, mtu))


def _end_link(topology: Topology, index: int, link: Link, end: EndpointRef, bridge: str,
              addresses: dict[EndpointRef, str], mtu: int) -> dict:
    """The local end's link to the bridge that carries it across: the link's settings, its address from the
    whole plan, the tunnel's MTU."""
    data = link.model_dump(mode="json", exclude_defaults=True, exclude={"subnet", "addresses", "endpoints"})
    if end != _impaired_end(topology, link):
        data.pop("impair", None)  # impaired once, at one end's host: twice would double every loss
    if end != _captured_end(topology, link):
        data.pop("capture", None)
    return {**data, "endpoints": [str(end), f"{bridge}:t{index}"], "addresses": [addresses.get(end), None],
            "mtu": mtu}


def _impaired_end(topology: Topology, link: Link) -> EndpointRef:
    """The first end that is not a bridge: a bridge end on its own host has no link of its own to impair."""
    return next((end for end in link.ends if topology.nodes[end.node].kind != "bridge"), link.ends[0])


def _captured_end(topology: Topology, link: Link) -> EndpointRef | None:
    """The end a link's `capture:` names, or by default its unikernel end, else its first."""
    capture = getattr(link, "capture", None)
    if not capture:
        return None
    at = getattr(capture, "at", None)
    if at:
        return next(end for end in link.ends if str(end) == at)
    return next((end for end in link.ends if topology.nodes[end.node].kind == "unikernel"), link.ends[0])


def _stand_in_name(index: int, taken: set[str]) -> str:
    name = f"{STAND_IN_PREFIX}{index}"
    while name in taken:
        name = f"{STAND_IN_PREFIX}-{name}"
    taken.add(name)
    return name
