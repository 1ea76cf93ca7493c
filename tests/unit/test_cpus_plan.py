"""CPU placement in the plan: auto gives each vCPU a core of its own when there are enough, explicit values pass through."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from testbed.errors import TopologyError
from testbed.plan import cpus as plan_cpus
from testbed.plan import planner
from testbed.topology.schema import Topology


def _topology(guests: dict[str, dict]) -> dict:
    nodes = {name: {"kind": "unikernel", "image": "udp-sink", **spec} for name, spec in guests.items()}
    links = [{"endpoints": [f"h:e{i}", f"{name}:service0"]} for i, name in enumerate(guests)]
    return {"name": "t", "nodes": {"h": {"kind": "netns"}, **nodes}, "links": links}


def _plan(data: dict, cores: list[int], monkeypatch, busy: bool = False):
    monkeypatch.setattr(plan_cpus, "available_cpus", lambda: cores)
    monkeypatch.setattr(plan_cpus, "machine_busy", lambda n: busy)
    return planner.make_plan(Topology.model_validate(data), "cpus", resolve_image=lambda name: Path("/img.hvt"))


def _flags(plan, node: str) -> list[str]:
    return plan.monitor(node).cpus.flags()


def test_auto_puts_the_vcpu_alone_and_the_io_thread_on_core_0(monkeypatch):
    plan = _plan(_topology({"g": {}}), [0, 1], monkeypatch)
    assert _flags(plan, "g") == ["--cpu-vcpu=1", "--cpu-io=0", f"--io-nice={plan_cpus.AUTO_IO_NICE}"]
    assert "--cpu-vcpu=1" in plan.monitor("g").argv("/bin/tb-monitor", "/s.json")


def test_auto_spreads_vcpus_from_the_highest_core(monkeypatch):
    plan = _plan(_topology({"a": {}, "b": {}, "c": {}}), [0, 1, 2, 3], monkeypatch)
    assert [plan.monitor(n).cpus.vcpu for n in "abc"] == [3, 2, 1]


def test_auto_leaves_a_crowd_unpinned(monkeypatch):
    plan = _plan(_topology({"a": {}, "b": {}}), [0, 1], monkeypatch)
    assert _flags(plan, "a") == _flags(plan, "b") == []


def test_one_core_means_no_pinning(monkeypatch):
    assert _flags(_plan(_topology({"g": {}}), [0], monkeypatch), "g") == []


def test_none_and_explicit(monkeypatch):
    plan = _plan(_topology({"a": {"cpus": "none"}, "b": {"cpus": {"vcpu": 1, "io": 1, "io_nice": 3}}}), [0, 1], monkeypatch)
    assert _flags(plan, "a") == []
    assert _flags(plan, "b") == ["--cpu-vcpu=1", "--cpu-io=1", "--io-nice=3"]


def test_explicit_cores_are_kept_from_auto_guests(monkeypatch):
    plan = _plan(_topology({"a": {}, "b": {"cpus": {"vcpu": 2}}}), [0, 1, 2], monkeypatch)
    assert plan.monitor("a").cpus.vcpu == 1


def test_a_missing_core_is_a_topology_error(monkeypatch):
    with pytest.raises(TopologyError, match=r"nodes\.g\.cpus\.vcpu: core 9 is not available"):
        _plan(_topology({"g": {"cpus": {"vcpu": 9}}}), [0, 1], monkeypatch)


@pytest.mark.parametrize("bad", [{"vcpu": -1}, {"io_nice": -21}, {"cores": 2}, "always"])
def test_bad_cpus_fields_are_refused(bad):
    with pytest.raises(ValidationError, match="cpus"):
        Topology.model_validate(_topology({"g": {"cpus": bad}}))


def test_auto_leaves_a_busy_machine_unpinned(monkeypatch):
    plan = _plan(_topology({"g": {}}), [0, 1], monkeypatch, busy=True)
    assert _flags(plan, "g") == []
    explicit = _plan(_topology({"g": {"cpus": {"vcpu": 1}}}), [0, 1], monkeypatch, busy=True)
    assert _flags(explicit, "g") == ["--cpu-vcpu=1"]  # what the topology says is done, busy or not


def test_busy_means_more_load_than_all_cores_but_one(monkeypatch):
    for load, busy in ((0.4, False), (1.2, True), (9.0, True)):
        monkeypatch.setattr(plan_cpus.os, "getloadavg", lambda _l=load: (_l, 1.0, 1.0))
        assert plan_cpus.machine_busy(2) is busy, load
