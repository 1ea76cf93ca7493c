"""Static checks on models (no YAML): the address plan (which the planner configures as is) and name rules."""
from __future__ import annotations

import pytest

from testbed.topology.rules.addressing import plan_addresses
from testbed.topology.rules.endpoints import kernel_ifname_problem
from testbed.topology.rules.macs import mac_problem
from testbed.topology.rules.static import static_findings
from testbed.topology.schema import Topology

MIXED = {
    "name": "mixed",
    "nodes": {
        "a": {"kind": "netns"}, "b": {"kind": "netns"},
        "sw": {"kind": "bridge", "subnet": "10.9.0.0/24"},
        "u1": {"kind": "unikernel", "image": "x"}, "u2": {"kind": "unikernel", "image": "x"},
        "u3": {"kind": "unikernel", "image": "x"},
    },
    "links": [
        {"endpoints": ["a:eth0", "b:eth0"], "subnet": "10.0.0.0/30"},
        {"endpoints": ["b:eth2", "sw:p0"], "addresses": ["10.9.0.1/24", None]},
        {"endpoints": ["a:eth1", "sw:p1"]},
        {"endpoints": ["u1:service0", "sw:p2"]},
        {"endpoints": ["u2:n0", "u3:n0"], "subnet": "10.7.0.0/24", "addresses": ["10.7.0.2/24", None]},
        {"endpoints": ["b:eth1", "u3:n1"], "addresses": ["192.168.1.1/24", "192.168.1.9/24"]},
    ],
}


def findings_of(data: dict) -> list[tuple[str, str]]:
    return [(".".join(map(str, f.path)), f.message) for f in static_findings(Topology.model_validate(data))
            if f.path[-1] != "image"]  # images are faked per test where they matter


def test_addresses_explicit_first_then_subnet_by_position_then_bridge_in_link_order():
    addresses = {f"{end.node}:{end.ifname}": str(ip) for end, ip in
                 plan_addresses(Topology.model_validate(MIXED)).of_endpoint().items()}
    assert addresses == {
        "a:eth0": "10.0.0.1/30", "b:eth0": "10.0.0.2/30",
        "b:eth2": "10.9.0.1/24", "a:eth1": "10.9.0.2/24", "u1:service0": "10.9.0.3/24",
        "u2:n0": "10.7.0.2/24", "u3:n0": "10.7.0.2/24",  # endpoint 1 takes host 1 even when 0 is explicit...
        "b:eth1": "192.168.1.1/24", "u3:n1": "192.168.1.9/24",
    }
    # ...which the checks then report as a clash at the explicit address
    assert findings_of(MIXED) == [("links.4.addresses.0", "10.7.0.2 is also the address of u3:n0, which takes "
                                   "it from the subnet (endpoints without an address take its hosts in order)")]


def test_a_big_ipv6_subnet_is_not_enumerated():
    data = {"name": "v6", "nodes": {"a": {"kind": "netns"}, "b": {"kind": "netns"}},
            "links": [{"endpoints": ["a:eth0", "b:eth0"], "subnet": "fd00::/64"}]}
    assert [str(a.address) for a in plan_addresses(Topology.model_validate(data)).assigned] == [
        "fd00::1/64", "fd00::2/64"]


def test_two_unikernels_may_share_a_link():
    data = {"name": "uu",
            "nodes": {"u1": {"kind": "unikernel", "image": "x"}, "u2": {"kind": "unikernel", "image": "x"}},
            "links": [{"endpoints": ["u1:service0", "u2:service0"], "subnet": "10.0.0.0/30"}]}
    assert findings_of(data) == []


def test_a_link_without_addresses_is_fine_until_a_check_needs_one():
    data = {"name": "l2", "nodes": {"a": {"kind": "netns"}, "b": {"kind": "netns"}},
            "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}
    assert findings_of(data) == []
    data["checks"] = [{"ping": {"from": "a", "to": "b"}}]
    assert [path for path, _ in findings_of(data)] == ["checks.0.ping.from", "checks.0.ping.to"]


def test_manifest_names_are_letters_and_digits_up_to_67():
    def data(nic: str) -> dict:
        return {"name": "m", "nodes": {"h": {"kind": "netns"}, "g": {"kind": "unikernel", "image": "x"}},
                "links": [{"endpoints": ["h:eth0", f"g:{nic}"]}]}
    assert findings_of(data("n" * 67)) == []
    assert [path for path, _ in findings_of(data("n" * 68))] == ["links.0.endpoints.1"]


@pytest.mark.parametrize("name, fine", [
    ("eth0", True), ("a" * 15, True), ("veth-a.b_c", True),
    ("a" * 16, False), ("eth/0", False), ("eth:0", False), ("eth 0", False), ("eth%d", False),
    (".", False), ("..", False), ("lo", False),
])
def test_kernel_interface_names(name, fine):
    assert (kernel_ifname_problem(name) is None) is fine


@pytest.mark.parametrize("mac, fine", [
    ("02:00:00:00:00:01", True), ("52:54:00:12:34:56", True),
    ("01:00:5e:00:00:01", False), ("ff:ff:ff:ff:ff:ff", False), ("00:00:00:00:00:00", False),
])
def test_nic_macs_are_unicast_and_not_zero(mac, fine):
    assert (mac_problem(mac) is None) is fine


def test_macs_clash_regardless_of_case():
    data = {"name": "m", "nodes": {
        "h": {"kind": "netns"},
        "g1": {"kind": "unikernel", "image": "x", "macs": {"s0": "02:aa:00:00:00:01"}},
        "g2": {"kind": "unikernel", "image": "x", "macs": {"s0": "02:AA:00:00:00:01"}}},
        "links": [{"endpoints": ["h:eth0", "g1:s0"]}, {"endpoints": ["h:eth1", "g2:s0"]}]}
    assert [path for path, _ in findings_of(data)] == ["nodes.g2.macs.s0"]


def test_default_route_via_a_connected_gateway_is_fine():
    data = {"name": "r", "nodes": {"a": {"kind": "netns", "routes": [{"dst": "default", "via": "10.0.0.2"}]},
                                   "b": {"kind": "netns"}},
            "links": [{"endpoints": ["a:eth0", "b:eth0"], "subnet": "10.0.0.0/30"}]}
    assert findings_of(data) == []
