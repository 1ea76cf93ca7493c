"""A lab whose impaired link has a unikernel end: the guest's monitor impairs it (no relay, no bridge), loss as
configured, `testbed impair` and `testbed links` reach the monitor at run time, a schedule changes it, and down
leaves nothing of it."""
from __future__ import annotations

import json
import re

import pytest

from testbed.apply import relay
from testbed.down.state import RunDir
from testbed.run import links

GUEST = """
    name: {name}
    seed: 3
    nodes:
      host: {{kind: netns}}
      guest: {{kind: unikernel, image: ping-serve, memory: 32, io: {io}}}
    links:
      - endpoints: [host:eth0, guest:service0]
        subnet: 10.66.0.0/30
        impair: {impair}
"""


def guest_lab(topology_file, name: str, impair: str, io: str = "hypercall", extra: str = ""):
    return topology_file(name, GUEST.format(name=name, io=io, impair=impair) + extra)


def bounds(count: int, loss: float, sigmas: float = 5) -> tuple[float, float]:
    spread = sigmas * (count * loss * (1 - loss)) ** 0.5
    return count * loss - spread, count * loss + spread


def wire_processes(run: RunDir) -> list[str]:
    return [name for name in run.read()["processes"] if name.startswith("wire:")]


@pytest.mark.parametrize("io", ["hypercall", "event"])
def test_the_guests_monitor_impairs_the_link_as_configured(kvm, topology_file, testbed_lab, io):
    path = guest_lab(topology_file, f"mon-{io}", "{delay: 5ms, forward: {loss: 20%}}", io)
    with testbed_lab(path) as lab:
        (link,) = lab.plan.relays
        assert link.by_monitor and link.monitor == "guest" and lab.plan.bridges == ()
        assert wire_processes(lab.run) == []  # no relay process for this link
        result = lab.ping("host", "guest", count=200, interval=0.02)
        (row,) = links.rows(lab)
    assert min(result.rtt_ms) >= 10.0
    low, high = bounds(200, 0.2)
    assert low <= 200 - result.received <= high, result.received
    assert row["mechanism"] == "monitor"
    forward, reverse = row["directions"]["ab"], row["directions"]["ba"]
    assert forward["config"]["loss_ppm"] == 200_000 and reverse["config"]["loss_ppm"] == 0
    assert forward["counters"]["dropped"] >= 200 - result.received  # every lost request dropped on its way in
    assert reverse["counters"]["sent"] >= result.received and forward["counters"]["delayed"] >= result.received


def rtt_min_ms(ping_stdout: str) -> float:
    return float(re.search(r"= ([\d.]+)/", ping_stdout).group(1))


def test_impair_and_links_reach_the_monitor_and_down_leaves_nothing(kvm, topology_file, testbed_cli, run_prefix,
                                                                    state_root):
    path = guest_lab(topology_file, "moncli", "{delay: 1ms}")
    run_id = json.loads(testbed_cli("up", str(path), "--json", "--prefix", run_prefix, check=True).stdout)["run_id"]
    run = RunDir(state_root / run_id)
    control = relay.monitor_control_path(run, "guest")

    def ping(count: int = 5) -> str:
        return testbed_cli("exec", "--run", run_id, "host", "--", "ping", "-c", str(count), "-i", "0.05", "-W", "1",
                           "10.66.0.2").stdout

    try:
        assert control.exists() and {"kind": "file", "path": str(control)} in run.read()["objects"]
        changed = testbed_cli("impair", run_id, "guest:service0", "--delay", "30ms", "--direction", "forward",
                              check=True)
        assert "forward: delay 30ms" in changed.stdout and "reverse: delay 1ms" in changed.stdout
        assert rtt_min_ms(ping()) >= 31.0
        rows = json.loads(testbed_cli("links", run_id, "--json", check=True).stdout)
        forward = rows[0]["directions"]["ab"]
        assert rows[0]["mechanism"] == "monitor" and forward["config"]["delay_ns"] == 30_000_000
        assert forward["counters"]["sent"] >= 5 and forward["counters"]["delayed"] >= 5
        testbed_cli("impair", run_id, "host:eth0", "--loss", "100%", "--direction", "reverse", check=True)
        assert "0 received" in ping(3)
        cleared = testbed_cli("impair", run_id, "0", "--clear", check=True)
        assert "forward: none" in cleared.stdout and "reverse: none" in cleared.stdout
        assert rtt_min_ms(ping()) < 30.0
        assert "forward: DOWN" in testbed_cli("impair", run_id, "guest:service0", "--down", check=True).stdout
        assert "0 received" in ping(3)
        table = testbed_cli("links", run_id, check=True).stdout
        assert "host:eth0--guest:service0" in table and "down" in table
        testbed_cli("impair", run_id, "guest:service0", "--up", check=True)
        assert ", 0% packet loss" in ping()
        final = json.loads(testbed_cli("links", run_id, "--json", check=True).stdout)[0]["directions"]
        assert final["ba"]["counters"]["dropped"] >= 3 and final["ab"]["counters"]["down_drops"] >= 1
    finally:
        testbed_cli("down", run_id, check=True)
    assert not control.exists() and not run.path.exists()


SCHEDULE = """
    traffic:
      - {name: ping, ping: {from: host, to: guest, count: 200, interval: 0.01, timeout: 10}}
    schedule:
      - {at: 0.6, impair: {link: guest:service0, delay: 40ms, direction: forward}}
      - {at: 1.2, link_down: host:eth0}
      - {at: 1.5, link_up: host:eth0}
"""


def test_a_schedule_changes_a_link_the_monitor_impairs(kvm, topology_file, testbed_lab):
    path = guest_lab(topology_file, "monsched", "{}", extra=SCHEDULE)
    with testbed_lab(path) as lab:
        results = lab.run_traffic()
        (row,) = links.rows(lab)
    assert [event["error"] for event in results["schedule"]["events"]] == [None, None, None]
    assert results["ping"]["rtt_max_ms"] >= 40
    forward = row["directions"]["ab"]
    assert forward["config"]["delay_ns"] == 40_000_000 and not forward["config"]["down"]
    assert forward["counters"]["down_drops"] >= 10  # 0.3 s of echoes at 100 a second, some queued behind the delay
