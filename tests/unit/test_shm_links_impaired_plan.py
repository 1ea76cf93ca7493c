"""Impaired and captured shm links in the plan: a unikernel pair's `impair:` or `capture:` keeps the link on shared
rings, the impairment goes to the first end's monitor with a relay's seeds and link identity, the capture to the
captured end's monitor; a link the schedule changes at run time stays on a relay."""
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


def flags(argv: list[str], prefix: str) -> list[str]:
    return [arg for arg in argv if arg.startswith(prefix)]


def test_an_impaired_unikernel_pair_is_an_shm_link_impaired_by_the_first_ends_monitor():
    shm, relayed = plan(pair(impair=IMPAIR)), plan(pair(impair=IMPAIR, type="tap"))
    assert shm.relays == () and len(relayed.relays) == 1
    monitors = {m.node: m for m in shm.monitors}
    assert all(m.shm_nics and not m.nics for m in monitors.values())  # no TAP, no bridge, no relay
    a = monitors["a"].argv("tb-monitor", "s.json")
    (relay,) = relayed.relays
    # The same engine text (seed included) and link identity as the relay: the same decisions, frame by frame.
    assert flags(a, "--impair") == [f"--impair-link:service0={link_id('a:service0--b:service0')}",
                                    f"--impair-tx:service0={relay.forward}", f"--impair-rx:service0={relay.reverse}"]
    assert relay.link_id == link_id("a:service0--b:service0") and "delay=5000000" in relay.forward
    assert flags(monitors["b"].argv("tb-monitor", "s.json"), "--impair") == []


def test_an_explicit_seed_reaches_the_engines():
    (a, _) = (m.argv("tb-monitor", "s.json") for m in plan(pair(impair={**IMPAIR, "seed": 99})).monitors)
    assert all("seed=99," in arg for arg in flags(a, "--impair-tx") + flags(a, "--impair-rx"))


def test_type_shm_with_impair_or_capture_is_no_finding():
    for link in ({"impair": IMPAIR}, {"capture": True}, {"impair": IMPAIR, "capture": {"at": "b:service0"}}):
        findings = static_findings(Topology.model_validate(pair(type="shm", **link)))
        assert [f.message for f in findings if f.path[:2] == ("links", 0)] == []


def test_a_capture_goes_to_the_captured_ends_monitor_and_the_impairment_to_the_first():
    data = pair(impair=IMPAIR, capture={"at": "b:service0"})
    p = plan(data)
    (point,) = plan_captures(Topology.model_validate(data), p)
    assert (point.node, point.ifname, point.by_monitor) == ("b", "service0", True)
    argv = {m.node: m.argv("tb-monitor", "s.json") for m in p.monitors}
    assert flags(argv["a"], "--impair-tx") and not flags(argv["b"], "--impair")
    assert monitor_flags([point], "b")[0] == f"--capture:service0={point.path}" and monitor_flags([point], "a") == []


def test_a_hypercall_end_keeps_the_relay():
    p = plan(pair(io_b="hypercall", impair=IMPAIR))
    assert len(p.relays) == 1 and not any(m.shm_nics for m in p.monitors)


def test_a_link_the_schedule_changes_stays_on_a_relay():
    data = pair(impair=IMPAIR)
    data["traffic"] = [{"name": "p", "ping": {"from": "a", "to": "b"}}]
    data["schedule"] = [{"at": 1, "link_down": "a:service0"}]
    assert len(plan(data).relays) == 1 and not any(m.shm_nics for m in plan(data).monitors)
    data["links"][0]["type"] = "shm"
    findings = [f.message for f in static_findings(Topology.model_validate(data)) if f.path[-1] == "type"]
    expected = "type: shm cannot change at run time, and the schedule changes this link: write type: tap (a relay carries it)"
    assert findings == [expected]
