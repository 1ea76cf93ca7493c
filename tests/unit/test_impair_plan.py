"""test_impair_plan: how links with `impair:` are planned (relays, TAPs, seeds, directions), swept, and refused."""
from __future__ import annotations

from pathlib import Path

import pytest

from testbed.errors import TopologyError
from testbed.plan import planner
from testbed.topology.load import load_topology
from testbed.topology.schema import Topology

REPO = Path(__file__).resolve().parents[2]


def make(data: dict):
    return planner.make_plan(Topology.model_validate(data), "t1", resolve_image=lambda image: Path("/x.hvt"))


def pair(impair: dict, seed: int = 0, b_kind: str = "netns", **extra) -> dict:
    b = {"kind": b_kind} if b_kind != "unikernel" else {"kind": "unikernel", "image": "x"}
    return {"name": "p", "seed": seed, "nodes": {"a": {"kind": "netns"}, "b": b},
            "links": [{"endpoints": ["a:eth0", "b:eth0"], "subnet": "10.0.0.0/30", "impair": impair}], **extra}


def test_an_impaired_link_is_a_tap_at_each_end_joined_by_a_relay():
    plan = make(pair({"loss": "5%", "delay": "10ms"}))
    assert plan.veths == ()
    assert {(t.namespace, t.ifname) for t in plan.taps} == {("tb-t1-a", "eth0"), ("tb-t1-b", "eth0")}
    (relay,) = plan.relays
    assert relay.name == "a:eth0--b:eth0" and relay.process == "wire:0"
    assert relay.forward == relay.reverse == f"seed={relay.seed},loss=50000,delay=10000000"
    assert [i.mechanism for i in plan.node("a").interfaces] == ["wire"]
    assert {a.address for a in plan.addresses} == {"10.0.0.1/30", "10.0.0.2/30"}


def test_directions_override_the_shared_fields():
    data = pair({"delay": "5ms", "loss": "1%", "forward": {"gilbert_elliott": {"p": "1%", "r": "10%"}},
                 "reverse": {"delay": "20ms", "rate": "10mbit", "limit": 50}})
    (relay,) = make(data).relays
    assert "ge=1,p=10000,r=100000,lossbad=1000000,lossgood=0" in relay.forward and "loss=" not in relay.forward
    assert relay.reverse.endswith("loss=10000,delay=20000000,rate=10000000,limit=50")


def test_the_default_seed_follows_the_topology_seed_and_differs_per_link():
    two = pair({"loss": "1%"})
    two["links"].append({"endpoints": ["a:eth1", "b:eth1"], "subnet": "10.0.1.0/30", "impair": {"loss": "1%"}})
    first, second = make(two).relays
    assert first.seed != second.seed
    assert make(two).relays[0].seed == first.seed  # the same on every plan
    assert make({**two, "seed": 9}).relays[0].seed != first.seed
    assert make(pair({"seed": 77})).relays[0].seed == 77


def test_a_unikernel_end_meets_the_relay_on_a_bridge_in_its_namespace():
    plan = make(pair({"delay": "1ms"}, b_kind="unikernel"))
    (relay,) = plan.relays
    assert (relay.b_namespace, relay.b_tap) == ("tb-t1-b", "wr0b")
    assert [(b.namespace, b.ifname) for b in plan.bridges] == [("tb-t1-b", "wb0b")]
    assert {(t.ifname, t.master) for t in plan.taps if t.namespace == "tb-t1-b"} == {("wr0b", "wb0b"),
                                                                                      ("wg0b", "wb0b")}
    (nic,) = plan.monitors[0].nics
    assert (nic.tap, nic.tap_namespace) == ("wg0b", "tb-t1-b")


def test_a_plan_with_relays_survives_its_json():
    plan = make(pair({"delay": "1ms"}, traffic=[{"name": "p", "ping": {"from": "a", "to": "b"}}],
                     schedule=[{"at": "1s", "impair": {"link": "a:eth0", "delay": "3ms"}}]))
    assert type(plan).model_validate(plan.model_dump(mode="json")) == plan


def test_a_sweep_reaches_impairment_fields_like_any_other():
    path = REPO / "experiments" / "lossy-goodput.yaml"
    for loss, ppm in (("0%", 0), ("20%", 200_000)):
        topology = load_topology(path, {"links.0.impair.loss": loss})
        relay = planner.make_plan(topology, "t2").relays[0]
        assert f"loss={ppm}," in relay.forward


@pytest.mark.parametrize("event, problem", [
    ({"at": 1, "link_down": "a:eth1"}, "schedule.0.link_down: 'a:eth1' is not an impaired link"),
    ({"at": 1, "node_stop": "a"}, "schedule.0.node_stop: 'a' is not a unikernel node"),
])
def test_schedule_events_must_name_impaired_links_and_unikernels(event, problem):
    with pytest.raises(TopologyError) as info:
        make(pair({}, traffic=[{"name": "p", "ping": {"from": "a", "to": "b"}}], schedule=[event]))
    assert problem in str(info.value)


def test_a_schedule_needs_traffic():
    with pytest.raises(TopologyError, match="no traffic"):
        make(pair({}, schedule=[{"at": 1, "link_down": "a:eth0"}]))
