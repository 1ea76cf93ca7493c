"""Planner: per-run naming, address assignment and link mechanism choice (no root needed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from testbed.errors import TopologyError
from testbed.plan import planner
from testbed.topology.schema import Topology

FAKE_IMAGE = Path("/images/fake.hvt")


def make(data: dict, run_id: str | None = None):
    topology = Topology.model_validate(data)
    return planner.make_plan(topology, run_id or planner.new_run_id(), resolve_image=lambda image: FAKE_IMAGE)


PINGPAIR = {
    "name": "pingpair",
    "nodes": {"host": {"kind": "netns"}, "guest": {"kind": "unikernel", "image": "ping-serve"}},
    "links": [{"endpoints": ["host:eth0", "guest:service0"], "subnet": "10.0.0.0/30"}],
}

MIXED = {
    "name": "mixed",
    "nodes": {
        "a": {"kind": "netns"}, "b": {"kind": "netns"},
        "sw": {"kind": "bridge", "subnet": "10.9.0.0/24"},
        "u1": {"kind": "unikernel", "image": "x"}, "u2": {"kind": "unikernel", "image": "x"},
        "u3": {"kind": "unikernel", "image": "x"},
    },
    "links": [
        {"endpoints": ["a:eth0", "b:eth0"], "subnet": "10.0.0.0/30", "mtu": 1400, "rate": "10mbit"},
        {"endpoints": ["a:eth1", "sw:p1"]},
        {"endpoints": ["u1:service0", "sw:p2"]},
        {"endpoints": ["u2:n0", "u3:n0"], "subnet": "10.7.0.0/24"},
        {"endpoints": ["b:eth1", "u3:n1"], "addresses": ["192.168.1.1/24", "192.168.1.9/24"]},
    ],
}


def kernel_names(plan) -> set[str]:
    """Every name that lives in a shared place: namespace files (interfaces live inside them)."""
    return {ns.name for ns in plan.namespaces}


def test_two_plans_of_one_file_share_no_kernel_name():
    first, second = make(MIXED), make(MIXED)
    assert first.run_id != second.run_id
    assert not kernel_names(first) & kernel_names(second)
    for node in MIXED["nodes"]:
        assert first.node(node).namespace != second.node(node).namespace


def test_every_node_gets_its_own_namespace_carrying_the_run_id():
    plan = make(MIXED, run_id="gw1-abc123")
    names = [ns.name for ns in plan.namespaces]
    assert len(set(names)) == len(MIXED["nodes"])
    assert all(name.startswith("tb-gw1-abc123-") for name in names)


def test_interface_names_fit_ifnamsiz_and_never_appear_in_the_root_namespace():
    plan = make(MIXED)
    namespaces = set(kernel_names(plan))
    devices = [(v.namespace, v.ifname) for v in plan.veths] + [(v.peer_namespace, v.peer_ifname) for v in plan.veths]
    devices += [(t.namespace, t.ifname) for t in plan.taps] + [(b.namespace, b.ifname) for b in plan.bridges]
    for namespace, ifname in devices:
        assert len(ifname) <= planner.IFNAMSIZ, ifname
        assert namespace in namespaces  # no device in the root namespace
    assert len(set(devices)) == len(devices)  # unique within each namespace


def test_a_prefix_outside_the_allowed_characters_is_refused():
    with pytest.raises(TopologyError):
        planner.new_run_id("Bad Prefix")


def test_subnet_addresses_follow_endpoint_order():
    plan = make(PINGPAIR)
    assert plan.node("host").interfaces[0].address == "10.0.0.1/30"
    assert plan.node("guest").interfaces[0].address == "10.0.0.2/30"


def test_explicit_addresses_win_and_bridge_subnet_is_handed_out_in_link_order():
    plan = make(MIXED)
    assert plan.node("b").interfaces[1].address == "192.168.1.1/24"
    assert plan.node("a").interfaces[1].address == "10.9.0.1/24"  # first endpoint on sw
    assert plan.node("u1").interfaces[0].address == "10.9.0.2/24"
    assert all(i.address is None for i in plan.node("sw").interfaces)  # bridge ports carry no address


def test_veth_between_namespaces_with_mtu_and_rate_on_both_ends():
    plan = make(MIXED)
    veth = next(v for v in plan.veths if {v.ifname, v.peer_ifname} == {"eth0"})
    assert veth.mtu == 1400
    limited = {(r.namespace, r.ifname) for r in plan.rate_limits}
    assert (veth.namespace, "eth0") in limited and (veth.peer_namespace, "eth0") in limited


def test_unikernel_meets_netns_on_a_tap_in_the_peer_namespace_carrying_the_peer_address():
    plan = make(PINGPAIR)
    host = plan.node("host")
    (tap,) = plan.taps
    assert (tap.namespace, tap.ifname) == (host.namespace, "eth0")
    assert any(a.namespace == host.namespace and a.ifname == "eth0" and a.address == "10.0.0.1/30"
               for a in plan.addresses)
    assert not plan.veths


def test_unikernel_args_carry_its_address_and_a_gateway_only_when_given():
    plan = make(PINGPAIR)
    monitor = plan.monitor("guest")
    assert monitor.guest_args == ("--ip=10.0.0.2/30",)
    routed = {**PINGPAIR, "nodes": {**PINGPAIR["nodes"],
                                    "guest": {"kind": "unikernel", "image": "x", "gateway": "10.0.0.1"}}}
    assert make(routed).monitor("guest").guest_args == ("--ip=10.0.0.2/30", "--gw=10.0.0.1")
    (nic,) = monitor.nics
    assert (nic.name, nic.tap, nic.tap_namespace) == ("service0", "eth0", plan.node("host").namespace)
    argv = monitor.argv("/bin/tb-monitor", "/run/s.json")
    assert f"--netns={plan.node('guest').namespace}" in argv
    assert f"--net:service0=eth0@{plan.node('host').namespace}" in argv
    assert argv[-2:] == [str(FAKE_IMAGE), "--ip=10.0.0.2/30"]


def test_unikernel_on_a_bridge_gets_a_tap_enslaved_in_the_bridge_namespace():
    plan = make(MIXED)
    sw = plan.node("sw").namespace
    bridge = next(b for b in plan.bridges if b.namespace == sw)
    tap = next(t for t in plan.taps if t.namespace == sw)
    assert (tap.ifname, tap.master) == ("p2", bridge.ifname)
    veth = next(v for v in plan.veths if v.peer_namespace == sw)
    assert veth.peer_master == bridge.ifname


def test_two_unikernels_meet_on_a_private_bridge_and_get_distinct_macs():
    plan = make(MIXED)
    u2 = plan.node("u2").namespace
    taps = [t for t in plan.taps if t.namespace == u2]
    assert len(taps) == 2 and len({t.master for t in taps}) == 1
    macs = [nic.mac for m in plan.monitors for nic in m.nics]
    assert len(set(macs)) == len(macs)
    assert plan.monitor("u2").guest_args[0] == "--ip=10.7.0.1/24"


def test_user_given_ip_argument_is_not_overridden():
    data = {**PINGPAIR, "nodes": {**PINGPAIR["nodes"],
                                  "guest": {"kind": "unikernel", "image": "x", "args": ["--ip=1.2.3.4/8"]}}}
    assert make(data).monitor("guest").guest_args == ("--ip=1.2.3.4/8",)


def test_missing_image_is_a_plan_error_before_anything_exists():
    topology = Topology.model_validate(PINGPAIR)
    with pytest.raises(TopologyError, match="ping-serve"):
        planner.make_plan(topology, "r1", resolve_image=lambda image: None)


def test_unknown_endpoint_node_is_a_plan_error():
    data = {**PINGPAIR, "links": [{"endpoints": ["host:eth0", "ghost:eth0"]}]}
    with pytest.raises(TopologyError, match="ghost"):
        make(data)


def test_plan_round_trips_through_state_json():
    plan = make(MIXED)
    assert type(plan).model_validate(plan.model_dump(mode="json")) == plan


def test_a_subnet_too_small_for_its_endpoints_is_a_plan_error():
    data = {**PINGPAIR, "links": [{"endpoints": ["host:eth0", "guest:service0"], "subnet": "10.0.0.0/32"}]}
    with pytest.raises(TopologyError, match="too few addresses"):
        make(data)


def test_the_plan_carries_the_topologys_checks_and_traffic_through_state_json():
    """An attached lab runs them from its state.json: the topology file may have changed or gone since up."""
    data = {**PINGPAIR, "traffic": [{"name": "rtt", "ping": {"from": "host", "to": "guest", "count": 5}}],
            "checks": [{"ping": {"from": "host", "to": "guest"}}, {"delivered": {"from": "rtt", "to": "rtt",
                                                                                "min_ratio": 0.9}}]}
    topology = Topology.model_validate(data)
    written = make(data).model_dump(mode="json")
    assert written["checks"][0]["ping"]["from"] == "host"  # the YAML's word, not from_
    read = type(make(data)).model_validate(written)
    assert read.checks == tuple(topology.checks) and read.traffic == tuple(topology.traffic)
