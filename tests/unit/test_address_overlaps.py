"""The subnet overlap check: prefixes nested either way, across versions, naming the earliest clash."""
from __future__ import annotations

from testbed.topology.rules.addressing import plan_addresses
from testbed.topology.schema import Topology


def overlaps_of(subnets: list[str]) -> list[tuple[str, str]]:
    """(path, message) for a chain of netns nodes whose links take `subnets` in order."""
    nodes = {f"n{i}": {"kind": "netns"} for i in range(len(subnets) + 1)}
    links = [{"endpoints": [f"n{i}:r{i}", f"n{i + 1}:l{i}"], "subnet": s} for i, s in enumerate(subnets)]
    plan = plan_addresses(Topology.model_validate({"name": "t", "nodes": nodes, "links": links}))
    return [(".".join(map(str, f.path)), f.message) for f in plan.findings if "overlaps" in f.message]


def test_disjoint_subnets_and_other_versions_do_not_overlap():
    assert overlaps_of(["10.0.0.0/30", "10.0.0.4/30", "10.0.1.0/24", "fd00::/64", "fd00:0:0:1::/64"]) == []


def test_a_later_subnet_inside_an_earlier_one():
    assert overlaps_of(["10.0.0.0/16", "10.1.0.0/30", "10.0.3.4/30"]) == [
        ("links.2.subnet", "10.0.3.4/30 overlaps 10.0.0.0/16 of links.0: each link and each bridge needs a "
                           "subnet of its own")]


def test_a_later_subnet_around_earlier_ones_names_the_earliest():
    found = overlaps_of(["10.0.9.0/30", "10.0.2.0/30", "10.0.0.0/16"])
    assert [(path, message.split(":")[0]) for path, message in found] == [
        ("links.2.subnet", "10.0.0.0/16 overlaps 10.0.9.0/30 of links.0")]


def test_the_same_subnet_twice_and_ipv6_nesting():
    found = [message.split(":")[0] if "." in message.split()[0] else message.split(" of ")[0]
             for _, message in overlaps_of(["10.0.0.0/30", "fd00::/48", "10.0.0.0/30", "fd00:0:0:5::/64"])]
    assert found == ["10.0.0.0/30 overlaps 10.0.0.0/30 of links.0", "fd00:0:0:5::/64 overlaps fd00::/48"]


def test_a_chain_of_ten_thousand_links_has_no_overlaps():
    subnets = [f"10.{100 + i // 16384}.{(i // 64) % 256}.{(i % 64) * 4}/30" for i in range(10_000)]
    assert overlaps_of(subnets) == []
