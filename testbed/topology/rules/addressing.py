"""topology.rules.addressing: who gets which address (explicit, else from the subnet), and every clash that makes."""
from __future__ import annotations

import bisect
import ipaddress
import itertools
import weakref
from dataclasses import dataclass, field

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import EndpointRef, Link, Topology
from testbed.topology.source import DataPath

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_ip(text: str) -> bool:
    """A plain IP address (where a node name may stand instead, e.g. a ping or traffic target)."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class Member:
    """A non-bridge endpoint on a segment, and the address the file gives it (if any)."""

    end: EndpointRef
    position: int  # 0 or 1 within its link
    explicit: IPInterface | None
    path: DataPath  # links.I.addresses.J when explicit, else links.I.endpoints.J


@dataclass(frozen=True)
class Segment:
    """One L2 domain: a link between two nodes, or a bridge with all its links (in file order)."""

    title: str  # "links.0" or "bridge br0", for messages
    subnet: IPNetwork | None
    subnet_path: DataPath
    members: list[Member]
    bridged: bool

    def networks(self) -> list[tuple[IPNetwork, DataPath]]:
        """The subnet, or without one the networks of its explicit addresses."""
        if self.subnet is not None:
            return [(self.subnet, self.subnet_path)]
        return [(m.explicit.network, m.path) for m in self.members if m.explicit is not None]


@dataclass(frozen=True)
class Assigned:
    end: EndpointRef
    address: IPInterface
    path: DataPath
    explicit: bool


@dataclass
class AddressPlan:
    """Every endpoint's address, computed once: the static checks judge it and the planner configures it."""

    segments: list[Segment]
    assigned: list[Assigned] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    short: list[Segment] = field(default_factory=list)  # segments whose subnet ran out of hosts
    _by_node: dict[str, list[IPInterface]] | None = field(default=None, repr=False, compare=False)

    def of_node(self, node: str) -> list[IPInterface]:
        """Indexed on first use (the plan is complete by then): a route on every node stays linear."""
        if self._by_node is None:
            self._by_node = {}
            for a in self.assigned:
                self._by_node.setdefault(a.end.node, []).append(a.address)
        return list(self._by_node.get(node, ()))

    def of_endpoint(self) -> dict[EndpointRef, IPInterface]:
        return {a.end: a.address for a in self.assigned}


# The last topology planned and its plan: the static checks and then the planner ask for the same (frozen)
# topology's plan, which takes ~0.8 s at 10,000 links. Held weakly, so a topology that is gone is never matched.
_last_plan: tuple[weakref.ref, AddressPlan] | None = None


def plan_addresses(topology: Topology) -> AddressPlan:
    """The topology's address plan, computed once per topology object (callers only read it)."""
    global _last_plan
    last = _last_plan
    if last is not None and last[0]() is topology:
        return last[1]
    plan = _compute_plan(topology)
    _last_plan = (weakref.ref(topology), plan)
    return plan


def _compute_plan(topology: Topology) -> AddressPlan:
    """Explicit addresses first; then a link's subnet by endpoint position, a bridge's subnet in link order."""
    segments, findings = _segments(topology)
    plan = AddressPlan(segments, findings=findings)
    for segment in segments:
        _check_explicit(segment, plan)
        _assign(segment, plan)
    _check_overlaps(plan)
    _check_duplicates(plan)
    return plan


def usable_hosts(network: IPNetwork, count: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The first `count` host addresses, lazily: an IPv6 /64 has too many to list."""
    return list(itertools.islice(network.hosts(), count))


def _segments(topology: Topology) -> tuple[list[Segment], list[Finding]]:
    findings: list[Finding] = []
    bridges = {name: Segment(f"bridge {name}", _network(node.subnet), ("nodes", name, "subnet"), [], True)
               for name, node in topology.nodes.items() if node.kind == "bridge"}
    links: list[Segment] = []
    for index, link in enumerate(topology.links):
        if any(end.node not in topology.nodes for end in link.endpoints):
            continue  # reported by the endpoint checks
        members = [_member(link, index, position) for position in (0, 1)]
        bridged = [m for m in members if m.end.node in bridges]
        if len(bridged) == 2:
            continue  # bridge to bridge: reported by the endpoint checks
        if not bridged:
            links.append(Segment(f"links.{index}", _network(link.subnet), ("links", index, "subnet"), members, False))
            continue
        bridge, member = bridged[0], next(m for m in members if m not in bridged)
        findings.extend(_bridge_link_problems(link, index, bridge))
        bridges[bridge.end.node].members.append(member)
    return [*links, *bridges.values()], findings


def _member(link: Link, index: int, position: int) -> Member:
    text = link.addresses[position] if link.addresses else None
    if text is None:
        return Member(link.endpoints[position], position, None, ("links", index, "endpoints", position))
    return Member(link.endpoints[position], position, ipaddress.ip_interface(text), ("links", index, "addresses", position))


def _bridge_link_problems(link: Link, index: int, bridge: Member) -> list[Finding]:
    findings = []
    if link.subnet is not None:
        findings.append(Finding(("links", index, "subnet"), f"a link to bridge {bridge.end.node} shares the "
                                f"bridge's subnet: set subnet on the bridge node (nodes.{bridge.end.node}.subnet)"))
    if bridge.explicit is not None:
        findings.append(Finding(bridge.path, f"{bridge.end} is a bridge port, which takes "
                                "no address (a bridge is L2): address the node at the other end"))
    return findings


def _check_explicit(segment: Segment, plan: AddressPlan) -> None:
    for member in segment.members:
        address = member.explicit
        if address is None:
            continue
        if segment.subnet is not None and address.ip not in segment.subnet:
            plan.findings.append(Finding(member.path, f"{address} is outside the {segment.title} subnet "
                                         f"{segment.subnet}", see=segment.subnet_path))
        elif segment.subnet is not None and address.network.prefixlen != segment.subnet.prefixlen:
            plan.findings.append(Finding(member.path, f"{address} has prefix /{address.network.prefixlen}, but the "
                                         f"{segment.title} subnet is {segment.subnet}", see=segment.subnet_path))
        elif _reserved(address):
            plan.findings.append(Finding(member.path, f"{address.ip} is the {_reserved(address)} address of "
                                         f"{address.network}: it can't be given to an interface"))
    if segment.subnet is None and not segment.bridged:
        _check_same_subnet(segment, plan)


def _reserved(address: IPInterface) -> str | None:
    network = address.network
    if network.version != 4 or network.prefixlen >= 31:
        return None
    if address.ip == network.network_address:
        return "network"
    if address.ip == network.broadcast_address:
        return "broadcast"
    return None


def _check_same_subnet(segment: Segment, plan: AddressPlan) -> None:
    """Two explicit ends of one link without a subnet must still share one, or they can't talk."""
    a, b = (m.explicit for m in segment.members)
    if a is not None and b is not None and a.network != b.network:
        plan.findings.append(Finding(segment.members[1].path, f"{b} is not in the subnet of the other end "
                                     f"({a}): the two ends of a link need one subnet", see=segment.members[0].path))


def _assign(segment: Segment, plan: AddressPlan) -> None:
    for member in segment.members:
        if member.explicit is not None:
            plan.assigned.append(Assigned(member.end, member.explicit, member.path, True))
    if segment.subnet is None:
        return
    automatic = [m for m in segment.members if m.explicit is None]
    hosts, needed = (_bridge_hosts if segment.bridged else _link_hosts)(segment, automatic)
    interface = ipaddress.IPv4Interface if segment.subnet.version == 4 else ipaddress.IPv6Interface
    for member, host in hosts.items():
        address = interface((int(host), segment.subnet.prefixlen))  # from numbers: no text to format or parse
        plan.assigned.append(Assigned(member.end, address, segment.subnet_path, False))
    if len(hosts) < len(automatic):
        plan.short.append(segment)
        have = len(usable_hosts(segment.subnet, needed))
        plan.findings.append(Finding(segment.subnet_path, f"{segment.subnet} has {have} host address"
                                     f"{'es' if have != 1 else ''}, too few for the {needed} endpoints on "
                                     f"{segment.title}"))


def _bridge_hosts(segment: Segment, automatic: list[Member]) -> tuple[dict[Member, object], int]:
    """In link order, skipping the explicit addresses; every member needs a host."""
    taken = {m.explicit.ip for m in segment.members if m.explicit is not None}
    pool = [ip for ip in usable_hosts(segment.subnet, len(segment.members) + len(taken)) if ip not in taken]
    return dict(zip(automatic, pool, strict=False)), len(segment.members)  # the pool may run short


def _link_hosts(segment: Segment, automatic: list[Member]) -> tuple[dict[Member, object], int]:
    """Endpoint N takes host N, whether or not the other end is explicit."""
    pool = usable_hosts(segment.subnet, 2)
    hosts = {m: pool[m.position] for m in automatic if m.position < len(pool)}
    return hosts, max((m.position + 1 for m in automatic), default=0)


def _check_overlaps(plan: AddressPlan) -> None:
    """Each segment's networks against every earlier segment's, naming the earliest clash.

    Two prefixes overlap only when one contains the other, so an index by (version, prefix length) answers
    "which earlier network contains this one" with one dict look-up per prefix length in use, and "which does
    it contain" with a bisect per longer length: linear-ish where pairwise comparison was quadratic (10,000 links).
    """
    index = _PrefixIndex()
    for order, segment in enumerate(plan.segments):
        own = segment.networks()
        for network, path in own:
            clash = index.earliest_overlap(network, order)
            if clash:
                other, other_path, title = clash
                plan.findings.append(Finding(path, f"{network} overlaps {other} of {title}: each link and each "
                                             "bridge needs a subnet of its own", see=other_path))
        for network, path in dict(own).items():
            index.add(network, order, path, segment.title)


@dataclass
class _PrefixIndex:
    """Networks added so far, by (version, prefix length): an exact-key dict and a sorted list of starts."""

    exact: dict[tuple[int, int, int], tuple[int, int]] = field(default_factory=dict)  # -> (order, seq)
    starts: dict[tuple[int, int], list[tuple[int, int, int]]] = field(default_factory=dict)  # (start, order, seq)
    entries: list[tuple[IPNetwork, DataPath, str]] = field(default_factory=list)

    def add(self, network: IPNetwork, order: int, path: DataPath, title: str) -> None:
        seq = len(self.entries)
        self.entries.append((network, path, title))
        start = int(network.network_address)
        self.exact.setdefault((network.version, network.prefixlen, start), (order, seq))
        bisect.insort(self.starts.setdefault((network.version, network.prefixlen), []), (start, order, seq))

    def earliest_overlap(self, network: IPNetwork, before: int) -> tuple[IPNetwork, DataPath, str] | None:
        """The first-added network of a segment earlier than `before` that contains or lies within `network`."""
        found = [hit for hit in (*self._containing(network), *self._contained(network)) if hit[0] < before]
        return self.entries[min(found)[1]] if found else None

    def _containing(self, network: IPNetwork) -> list[tuple[int, int]]:
        bits, start = network.max_prefixlen, int(network.network_address)
        hits = []
        for version, length in self.starts:
            if version == network.version and length <= network.prefixlen:
                mask = ((1 << length) - 1) << (bits - length)
                hit = self.exact.get((version, length, start & mask))
                if hit:
                    hits.append(hit)
        return hits

    def _contained(self, network: IPNetwork) -> list[tuple[int, int]]:
        first, last = int(network.network_address), int(network.broadcast_address)
        hits = []
        for (version, length), starts in self.starts.items():
            if version == network.version and length > network.prefixlen:
                at = bisect.bisect_left(starts, (first, -1, -1))
                inside = itertools.takewhile(lambda entry: entry[0] <= last, itertools.islice(starts, at, None))
                hits.extend((order, seq) for _, order, seq in inside)
        return hits


def _check_duplicates(plan: AddressPlan) -> None:
    """Reported at the explicit address, the one the user can change (two automatic ones mean overlapping subnets)."""
    first: dict[object, Assigned] = {}
    for assigned in plan.assigned:
        earlier = first.setdefault(assigned.address.ip, assigned)
        if earlier is assigned or not (assigned.explicit or earlier.explicit):
            continue
        here, other = (assigned, earlier) if assigned.explicit else (earlier, assigned)
        message = f"{here.address.ip} is also the address of {other.end}"
        if not other.explicit:
            message += ", which takes it from the subnet (endpoints without an address take its hosts in order)"
        plan.findings.append(Finding(here.path, message, see=other.path))


def _network(text: str | None) -> IPNetwork | None:
    return ipaddress.ip_network(text) if text is not None else None
