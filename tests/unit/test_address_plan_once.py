"""The address plan is computed once per topology: the static checks' plan is the one the planner configures."""
from __future__ import annotations

import gc

from testbed.plan import planner
from testbed.topology.load import load_topology
from testbed.topology.rules import addressing
from testbed.topology.schema import Topology

CHAIN = {"name": "t", "nodes": {"a": {"kind": "netns"}, "b": {"kind": "netns"}, "c": {"kind": "netns"}},
         "links": [{"endpoints": ["a:r", "b:l"], "subnet": "10.0.0.0/30"},
                   {"endpoints": ["b:r", "c:l"], "subnet": "fd00::/64", "addresses": [None, "fd00::9/64"]}]}


def _counting(monkeypatch) -> list:
    computed = []
    real = addressing._compute_plan

    def count(topology):
        computed.append(topology)
        return real(topology)

    monkeypatch.setattr(addressing, "_compute_plan", count)
    return computed


def test_loading_and_planning_compute_it_once(monkeypatch, tmp_path):
    computed = _counting(monkeypatch)
    path = tmp_path / "chain.yaml"
    path.write_text("name: t\nnodes:\n  a: {kind: netns}\n  b: {kind: netns}\n"
                    "links:\n  - {endpoints: [a:r, b:l], subnet: 10.0.0.0/30}\n")
    plan = planner.make_plan(load_topology(path), "t-000000")
    assert len(computed) == 1
    assert sorted((a.namespace, a.address) for a in plan.addresses) == [
        ("tb-t-000000-a", "10.0.0.1/30"), ("tb-t-000000-b", "10.0.0.2/30")]


def test_another_topology_gets_its_own_plan(monkeypatch):
    computed = _counting(monkeypatch)
    first = Topology.model_validate(CHAIN)
    second = Topology.model_validate({**CHAIN, "links": CHAIN["links"][:1]})
    assert addressing.plan_addresses(first) is addressing.plan_addresses(first)
    assert len(addressing.plan_addresses(second).assigned) == 2
    assert len(addressing.plan_addresses(first).assigned) == 4  # recomputed: only the last one is kept
    assert len(computed) == 3


def test_a_topology_that_is_gone_is_never_matched(monkeypatch):
    computed = _counting(monkeypatch)
    addressing.plan_addresses(Topology.model_validate(CHAIN))
    gc.collect()
    addressing.plan_addresses(Topology.model_validate(CHAIN))  # may reuse the first one's id()
    assert len(computed) == 2


def test_addresses_by_node_and_endpoint():
    plan = addressing.plan_addresses(Topology.model_validate(CHAIN))
    assert [str(a) for a in plan.of_node("b")] == ["10.0.0.2/30", "fd00::1/64"]
    assert [str(a) for a in plan.of_node("c")] == ["fd00::9/64"]
    assert plan.of_node("nobody") == []
    assert {str(e): str(a) for e, a in plan.of_endpoint().items()} == {
        "a:r": "10.0.0.1/30", "b:l": "10.0.0.2/30", "b:r": "fd00::1/64", "c:l": "fd00::9/64"}
