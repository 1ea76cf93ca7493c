"""Impaired and captured shm links in the plan: a unikernel pair's `impair:` or `capture:` keeps the link on shared
rings, the impairment goes to the first end's monitor (recorded as a monitor-impaired link, with a relay's seeds and
link identity, so it changes at run time), the capture to the captured end's monitor."""
from __future__ import annotations

from pathlib import Path

from testbed.capture.points import monitor_flags, plan_captures
from testbed.plan.planner import make_plan
from testbed.plan.relay import link_id
from testbed.topology.rules.static import static_findings
from testbed.topology.schema import Topology

IMPAIR = {"loss": "10%", "delay": "2ms", "forward": {"delay": "5ms"}}


def pair(io_b: str = "event", **link) -> dict:
    return {"name": "p", "seed": 7,
            "nodes": {"a": {"kind": "unikernel", "image": "udp-sink", "io": "event"},
                      "b": {"kind": "unikernel", "image": "udp-sink", "io": io_b}},
            "links": [{"endpoints": ["a:service0", "b:service0"], "subnet": "10.1.0.0/24", **link}]}


def plan(data: dict):
    return make_plan(Topology.model_validate(data), "run1", resolve_image=lambda image: Path(f"/images/{image}.hvt"))


def test_an_impaired_unikernel_pair_is_an_shm_link_impaired_by_the_first_ends_monitor():
    shm, on_taps = plan(pair(impair=IMPAIR)), plan(pair(impair=IMPAIR, type="tap"))
    monitors = {m.node: m for m in shm.monitors}
    assert all(m.shm_nics and not m.nics for m in monitors.values())  # no TAP, no bridge, no tb-wire
    (impaired,), (tapped,) = shm.relays, on_taps.relays
    assert (impaired.monitor, impaired.nic, impaired.nic_sends) == ("a", "service0", "ab")
    # The same engine text (seed included) and link identity as on TAPs: the same decisions, frame by frame.
    assert impaired.model_dump() == tapped.model_dump()
    assert impaired.link_id == link_id("a:service0--b:service0") and "delay=5000000" in impaired.forward
    assert impaired.monitor_flags() == [f"--impair-link:service0={impaired.link_id}",
                                        f"--impair-tx:service0={impaired.forward}",
                                        f"--impair-rx:service0={impaired.reverse}"]


def test_an_explicit_seed_reaches_the_engines():
    (impaired,) = plan(pair(impair={**IMPAIR, "seed": 99})).relays
    assert impaired.forward.startswith("seed=99,") and impaired.reverse.startswith("seed=99,")


def test_type_shm_with_impair_or_capture_is_no_finding():
    for link in ({"impair": IMPAIR}, {"capture": True}, {"impair": IMPAIR, "capture": {"at": "b:service0"}}):
        findings = static_findings(Topology.model_validate(pair(type="shm", **link)))
        assert [f.message for f in findings if f.path[:2] == ("links", 0)] == []


def test_a_capture_goes_to_the_captured_ends_monitor_and_the_impairment_to_the_first():
    data = pair(impair=IMPAIR, capture={"at": "b:service0"})
    p = plan(data)
    (point,) = plan_captures(Topology.model_validate(data), p)
    assert (point.node, point.ifname, point.by_monitor) == ("b", "service0", True)
    assert [relay.monitor for relay in p.relays] == ["a"]
    assert monitor_flags([point], "b")[0] == f"--capture:service0={point.path}" and monitor_flags([point], "a") == []


def test_a_hypercall_end_keeps_its_tap():
    p = plan(pair(io_b="hypercall", impair=IMPAIR))
    assert not any(m.shm_nics for m in p.monitors) and [relay.monitor for relay in p.relays] == ["a"]


def test_the_schedule_may_change_an_impaired_shm_link():
    data = pair(impair=IMPAIR)
    data["traffic"] = [{"name": "p", "ping": {"from": "a", "to": "b"}}]
    data["schedule"] = [{"at": 1, "link_down": "a:service0"}, {"at": 2, "impair": {"link": "b:service0", "loss": "1%"}}]
    p = plan(data)  # no problem: the events reach the first end's monitor through its control file
    assert all(m.shm_nics for m in p.monitors) and [relay.monitor for relay in p.relays] == ["a"]
