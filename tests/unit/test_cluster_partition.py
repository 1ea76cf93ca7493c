"""Partitioning a lab by host: each part a valid topology of its own, addresses from the whole lab's plan, one
tunnel end per crossing link on each side (VNI per link, MTU less the header), and the host rules' findings."""
from __future__ import annotations

from testbed.cluster.partition import partition, vni
from testbed.topology.rules.static import static_findings
from testbed.topology.schema import Topology

HOSTS = {"h1": {"gateway": "popen", "underlay": "198.18.0.1"},
         "h2": {"ssh": "root@lab2", "underlay": "198.18.0.2", "underlay_mtu": 9000}}
LAB = {
    "name": "spread",
    "hosts": HOSTS,
    "nodes": {
        "a": {"kind": "netns", "host": "h1"}, "c": {"kind": "netns", "host": "h1"},
        "b": {"kind": "netns", "host": "h2"}, "sw": {"kind": "bridge", "host": "h2", "subnet": "10.9.0.0/24"},
        "g": {"kind": "unikernel", "image": "ping-serve", "host": "h2"},
    },
    "links": [
        {"endpoints": ["a:eth0", "b:eth0"], "subnet": "10.0.0.0/30"},
        {"endpoints": ["b:eth1", "sw:p0"]},
        {"endpoints": ["c:eth0", "sw:p1"]},
        {"endpoints": ["g:service0", "c:eth1"], "subnet": "10.0.1.0/30", "mtu": 1400},
    ],
}


def parts():
    return partition(Topology.model_validate(LAB), "run1")


def test_each_part_is_a_valid_topology_with_its_own_nodes_and_stand_ins():
    h1, h2 = parts()["h1"], parts()["h2"]
    assert h1.nodes == {"a", "c"} and h2.nodes == {"b", "sw", "g"}
    for part in (h1, h2):
        assert findings(part.topology) == []
    assert set(h1.topology["nodes"]) == {"a", "c", "vx0", "vx2", "vx3"}
    assert set(h2.topology["nodes"]) == {"b", "sw", "g", "vx0", "vx3"}  # link 2 ends on h2's own bridge


def test_addresses_come_from_the_whole_lab_not_from_the_part():
    h1, h2 = parts()["h1"], parts()["h2"]
    by_end = {tuple(link["endpoints"]): link["addresses"] for part in (h1, h2) for link in part.topology["links"]}
    assert by_end[("a:eth0", "vx0:t0")] == ["10.0.0.1/30", None]
    assert by_end[("b:eth0", "vx0:t0")] == ["10.0.0.2/30", None]
    assert by_end[("b:eth1", "sw:p0")] == ["10.9.0.1/24", None]  # the bridge's first port, in link order
    local_port = next(link for link in h2.topology["links"] if link["endpoints"] == ["b:eth1", "sw:p0"])
    assert local_port["mtu"] == 1450  # sw spans hosts: its local ports take the tunnel's MTU
    assert by_end[("c:eth0", "vx2:t2")] == ["10.9.0.2/24", None]  # its second, on the other host


def test_tunnels_pair_up_with_one_vni_per_link_and_the_smaller_mtu():
    h1, h2 = parts()["h1"], parts()["h2"]
    ends = {(t.link, t.local): t for part in (h1, h2) for t in part.tunnels}
    for link in (0, 2, 3):
        here, there = ends[(link, "198.18.0.1")], ends[(link, "198.18.0.2")]
        assert here.vni == there.vni == vni("run1", link)
        assert (here.remote, there.remote) == ("198.18.0.2", "198.18.0.1")
    assert ends[(0, "198.18.0.1")].mtu == 1450  # h1's 1500-byte underlay less 50
    assert ends[(3, "198.18.0.1")].mtu == 1400  # the link's own, smaller MTU
    assert ends[(2, "198.18.0.2")].bridge_node == "sw"
    assert len({vni("run1", link) for link in range(10_000)}) == 10_000


def findings(data: dict) -> list[tuple[str, str]]:
    return [(".".join(map(str, f.path)), f.message) for f in static_findings(Topology.model_validate(data))
            if f.path[-1] != "image"]


def test_the_host_rules():
    data = {**LAB, "nodes": {**LAB["nodes"], "a": {"kind": "netns"}, "c": {"kind": "netns", "host": "h9"}},
            "hosts": {**HOSTS, "h3": {"gateway": "popen", "underlay": "198.18.0.1"}}}
    assert findings(data) == [
        ("nodes.a", "node a needs `host:` (one of h1, h2, h3): the topology spans hosts"),
        ("nodes.c.host", "no host 'h9' under `hosts:` (there are h1, h2, h3)"),
        ("hosts.h3.underlay", "198.18.0.1 is also the underlay address of host h1"),
    ]


def test_a_crossing_link_must_fit_its_tunnel():
    links = [{**LAB["links"][0], "mtu": 1451}, *LAB["links"][1:]]
    assert findings({**LAB, "links": links}) == [
        ("links.0.mtu", ("1451 is more than the VXLAN tunnel between h1 and h2 carries (1450: the underlay MTU "
                         "less the tunnel's header)"))]
    mixed = {**HOSTS, "h2": {**HOSTS["h2"], "underlay": "fd00::2"}}
    assert [path for path, _ in findings({**LAB, "hosts": mixed})] == ["links.0", "links.2", "links.3"]


def test_without_hosts_no_node_names_one():
    data = {"name": "t", "nodes": {"a": {"kind": "netns", "host": "h1"}}}
    assert findings(data) == [("nodes.a.host", "no host 'h1': the topology has no `hosts:` section")]


def test_an_impaired_or_captured_crossing_link_is_impaired_once_and_captured_where_its_end_is():
    links = [{**LAB["links"][0], "impair": {"delay": "20ms"}, "capture": {"at": "b:eth0"}}, *LAB["links"][1:]]
    spread = partition(Topology.model_validate({**LAB, "links": links}), "run1")
    (h1_link,) = [link for link in spread["h1"].topology["links"] if link["endpoints"][0] == "a:eth0"]
    (h2_link,) = [link for link in spread["h2"].topology["links"] if link["endpoints"][0] == "b:eth0"]
    assert "impair" in h1_link and "impair" not in h2_link  # at the first end's host only: not twice
    assert "capture" in h2_link and "capture" not in h1_link


def test_a_bridges_ports_on_another_host_share_one_extension_and_one_tunnel():
    nodes = {**LAB["nodes"], "d": {"kind": "netns", "host": "h1"}}
    links = [*LAB["links"], {"endpoints": ["d:eth0", "sw:p2"]}]
    spread = partition(Topology.model_validate({**LAB, "nodes": nodes, "links": links}), "run1")
    to_sw = [link["endpoints"] for link in spread["h1"].topology["links"] if link["endpoints"][0] in ("c:eth0", "d:eth0")]
    assert to_sw == [["c:eth0", "vx2:t2"], ["d:eth0", "vx2:t4"]]  # c and d meet on h1 without crossing
    assert [(t.bridge_node, t.vni) for t in spread["h1"].tunnels if t.bridge_node == "vx2"] == [("vx2", vni("run1", 2))]
    assert [(t.bridge_node, t.vni) for t in spread["h2"].tunnels if t.bridge_node == "sw"] == [("sw", vni("run1", 2))]
