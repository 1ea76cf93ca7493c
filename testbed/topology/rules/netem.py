"""topology.rules.netem: `impair: {engine: netem}` only where the kernel's netem qdisc can do what the link asks: both
ends kernel interfaces, no seed, reorder with a delay, no link `rate:` (tbf would want the same root qdisc); and no
`impaired: true` ping across it (that check reads the link's impairment from our engine)."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Link, Topology

DIRECTIONS = (("forward", True), ("reverse", False))


def netem_links(topology: Topology) -> Iterator[tuple[int, Link]]:
    for index, link in enumerate(topology.links):
        if link.impair is not None and link.impair.engine == "netem":
            yield index, link


def check_netem(topology: Topology) -> Iterator[Finding]:
    for index, link in netem_links(topology):
        where = ("links", index, "impair")
        for end in link.ends:
            node = topology.nodes.get(end.node)
            if node is not None and node.kind == "unikernel":
                yield Finding((*where, "engine"), f"engine: netem is a qdisc on a kernel interface, and {end.node} is "
                              "a unikernel whose monitor carries its NIC's frames past any qdisc one way: use "
                              "engine: ours (the default) on a link with a unikernel end")
        if link.impair.seed is not None:
            yield Finding((*where, "seed"), "engine: netem draws from the kernel's own random numbers and is not "
                          "reproducible to the packet: remove seed, or use engine: ours")
        if link.rate:
            yield Finding(("links", index, "rate"), "engine: netem takes the interface's root qdisc, where rate: "
                          "would put tbf: write the rate as impair.rate")
        yield from _reorder_needs_delay(link, where)
    yield from _impaired_pings(topology)


def _impaired_pings(topology: Topology) -> Iterator[Finding]:
    pairs = {frozenset(end.node for end in link.ends) for _, link in netem_links(topology)}
    for index, check in enumerate(topology.checks):
        ping = check.spec if check.kind == "ping" else None
        if ping is not None and ping.impaired and frozenset((ping.from_, ping.to)) in pairs:
            yield Finding(("checks", index, "ping", "impaired"), f"{ping.from_} and {ping.to} are joined by an engine: "
                          "netem link, whose impairment this check cannot read: use engine: ours, or bounds "
                          "(max_loss)")


def _reorder_needs_delay(link: Link, where: tuple) -> Iterator[Finding]:
    """netem reorders by sending the chosen packets at once while the others wait out the delay: no delay, no
    reordering (ours holds a packet back behind the next one instead)."""
    for name, forward in DIRECTIONS:
        way = link.impair.direction(forward=forward)
        if way.reorder and not way.delay:
            override = getattr(link.impair, name)
            path = (*where, name, "reorder") if override is not None and override.reorder is not None \
                else (*where, "reorder")
            yield Finding(path, f"engine: netem reorders only packets it delays: give the {name} direction a "
                          "delay, or use engine: ours")
