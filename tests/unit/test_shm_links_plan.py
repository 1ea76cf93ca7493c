"""shm links in the plan: when a unikernel pair gets one, the static checks refusing `type: shm` where it cannot work,
the monitors' --net-shm placeholders and the supervisor's fds behind them, and the forwarders' computed routes."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from testbed.apply.shm_fds import ShmLinkFds, ring_span
from testbed.plan.planner import make_plan
from testbed.topology.rules.static import static_findings
from testbed.topology.schema import Topology


def pair(io_a: str = "event", io_b: str = "event", **link) -> dict:
    return {"name": "p", "nodes": {"a": {"kind": "unikernel", "image": "udp-sink", "io": io_a},
                                   "b": {"kind": "unikernel", "image": "udp-sink", "io": io_b},
                                   "h": {"kind": "netns"}},
            "links": [{"endpoints": ["a:service0", "b:service0"], "subnet": "10.1.0.0/24", **link}]}


def plan(data: dict):
    return make_plan(Topology.model_validate(data), "run1", resolve_image=lambda image: Path(f"/images/{image}.hvt"))


def type_findings(data: dict) -> list[str]:
    return [f.message for f in static_findings(Topology.model_validate(data)) if f.path[-1] == "type"]


@pytest.mark.parametrize(("io_a", "io_b", "link", "shm"), [
    ("event", "poll", {}, True),
    ("hybrid", "hybrid", {"type": "shm"}, True),
    ("event", "event", {"type": "tap"}, False),
    ("event", "hypercall", {}, False),
    ("event", "event", {"rate": "10mbit"}, False),
])
def test_a_unikernel_pair_gets_an_shm_link_when_both_ends_can(io_a, io_b, link, shm):
    monitors = {m.node: m for m in plan(pair(io_a, io_b, **link)).monitors}
    assert bool(monitors["a"].shm_nics) == shm and bool(monitors["a"].nics) != shm
    if shm:
        (a,), (b,) = monitors["a"].shm_nics, monitors["b"].shm_nics
        assert (a.link, a.side, b.side) == ("run1-l0", 0, 1) and a.link == b.link
        assert "--net-shm:service0=@run1-l0:0:1500:512" in monitors["a"].argv("tb-monitor", "s.json")


@pytest.mark.parametrize(("data", "message"), [
    (pair("event", "hypercall", type="shm"), ("type: shm needs io: poll, event or hybrid at both ends (b has io: "
                                              "hypercall); or write type: tap")),
    (pair(type="shm", rate="10mbit"), "type: shm bypasses the kernel, so it cannot apply rate: write type: tap"),
    (pair(type="shm", mtu=9000), "mtu 9000 does not fit an shm ring slot (at most 2026)"),
])
def test_type_shm_where_it_cannot_work_is_a_static_finding(data, message):
    assert type_findings(data) == [message]


def test_both_ends_of_an_shm_link_share_one_ring_size():
    data = pair()
    data["nodes"]["a"]["ring_slots"] = data["nodes"]["b"]["ring_slots"] = 1024
    (a,), (b,) = (m.shm_nics for m in plan(data).monitors)
    assert a.slots == b.slots == 1024 and a.flags()[0].endswith(":1024")
    data["nodes"]["b"]["ring_slots"] = 2048
    assert not any(m.shm_nics for m in plan(data).monitors)  # different sizes: TAPs by default
    data["links"][0]["type"] = "shm"
    expected = "type: shm shares one ring pair, so both ends need the same ring_slots (a: 1024, b: 2048)"
    assert type_findings(data) == [expected]


def test_type_shm_to_a_netns_node_is_a_static_finding():
    data = pair()
    data["links"] = [{"endpoints": ["a:service0", "h:eth0"], "type": "shm"}, {"endpoints": ["b:service0", "h:eth1"]}]
    assert type_findings(data) == ["type: shm joins two unikernels; h is a netns node"]


def test_the_supervisor_gives_each_side_its_fds_and_keeps_none():
    launches = [{"node": "a", "argv": ["m", "--net-shm:n0=@r-l0:0:1500:4", "--", "x"]},
                {"node": "b", "argv": ["m", "--net-shm:n1=@r-l0:1:1500:4", "--", "x"]}]
    fds = ShmLinkFds(launches)
    try:
        argv_a, fds_a = fds.argv(launches[0])
        memfd, door_a, wake_a, sock_a = fds_a
        assert argv_a[1] == f"--net-shm:n0={memfd},{door_a},{wake_a},{sock_a},0,1500"
        assert os.fstat(memfd).st_size == 2 * ring_span(4) == 2 * 12288
        assert stat.S_ISSOCK(os.fstat(sock_a).st_mode)
        _, fds_b = fds.argv(launches[1])
        assert fds_b[0] == memfd and (fds_b[1], fds_b[2]) == (wake_a, door_a)  # a's doorbell is b's wake
        assert sock_a != fds_b[3]
        fds.argv({"node": "c", "argv": ["m"]})  # the next launch: the link's fds, both ends out, are closed
        with pytest.raises(OSError):
            os.fstat(memfd)
    finally:
        fds.close()
    for fd in (*fds_a, *fds_b):
        with pytest.raises(OSError):
            os.fstat(fd)


def test_forwarders_get_an_if_per_nic_and_routes_to_every_subnet_beyond_their_neighbours():
    data = {"name": "c", "nodes": {"a": {"kind": "netns"}, "b": {"kind": "netns"},
                                   **{r: {"kind": "unikernel", "image": "forward", "io": "event"}
                                      for r in ("r1", "r2", "r3")}},
            "links": [{"endpoints": ["a:eth0", "r1:net0"], "subnet": "10.0.0.0/30"},
                      {"endpoints": ["r1:net1", "r2:net0"], "subnet": "10.0.1.0/30"},
                      {"endpoints": ["r2:net1", "r3:net0"], "subnet": "10.0.2.0/30"},
                      {"endpoints": ["r3:net1", "b:eth0"], "subnet": "10.0.3.0/30"}]}
    args = {m.node: m.guest_args for m in plan(data).monitors}
    assert args["r1"] == ("--if=net0,10.0.0.2/30", "--if=net1,10.0.1.1/30",
                          "--route=10.0.2.0/30,10.0.1.2", "--route=10.0.3.0/30,10.0.1.2")
    assert args["r2"] == ("--if=net0,10.0.1.2/30", "--if=net1,10.0.2.1/30",
                          "--route=10.0.0.0/30,10.0.1.1", "--route=10.0.3.0/30,10.0.2.2")
