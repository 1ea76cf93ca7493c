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


def test_a_unikernel_end_is_impaired_by_its_monitor_on_a_plain_link():
    plan = make(pair({"delay": "1ms", "forward": {"loss": "10%"}}, b_kind="unikernel"))
    (relay,) = plan.relays
    assert relay.by_monitor and (relay.monitor, relay.nic, relay.nic_sends) == ("b", "eth0", "ba")
    assert plan.bridges == () and [(t.namespace, t.ifname) for t in plan.taps] == [("tb-t1-a", "eth0")]
    (nic,) = plan.monitors[0].nics
    assert (nic.tap, nic.tap_namespace) == ("eth0", "tb-t1-a")  # as a plain link: no bridge, no relay TAPs
    assert [i.mechanism for i in plan.node("a").interfaces] == ["tap"]
    # b sends the reverse way and receives the forward one; the same texts and link identity a relay would use.
    assert relay.monitor_flags() == [f"--impair-link:eth0={relay.link_id}", f"--impair-tx:eth0={relay.reverse}",
                                     f"--impair-rx:eth0={relay.forward}"]
    assert "loss=100000" in relay.forward and "loss" not in relay.reverse
    assert relay.nic_direction("ab") == 1 and relay.nic_direction("ba") == 0


def test_two_hypercall_unikernels_are_impaired_by_the_first_ones_monitor():
    data = pair({"loss": "1%"}, b_kind="unikernel")
    data["nodes"]["a"] = {"kind": "unikernel", "image": "x"}
    plan = make(data)
    (relay,) = plan.relays
    assert (relay.monitor, relay.nic_sends) == ("a", "ab")
    assert [len(m.nics) for m in plan.monitors] == [1, 1] and all(not m.shm_nics for m in plan.monitors)


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
