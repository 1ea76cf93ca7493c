"""`schedule:` against a real lab: a link taken down and up again at set times from the start of traffic loses
what was sent in between (and only that); an impairment change and a unikernel stop/start fire on time."""
from __future__ import annotations

import pytest

from framework.wire import counters
from testbed.apply import relay

SCHEDULED = """
    name: scheduled
    nodes:
      a: {{kind: netns}}
      b: {{kind: netns}}
    links:
      - endpoints: [a:eth0, b:eth0]
        subnet: 10.63.0.0/30
        impair: {{}}
    traffic:
      - {{name: rx, counters: {{node: b, interface: eth0}}}}
      - {{name: tx, udpgen: {{from: a, to: b, size: 100, rate: 2000, count: 4000}}}}
    schedule:
{events}
"""


def scheduled(topology_file, events: str):
    return topology_file("scheduled", SCHEDULED.format(events=events))


def test_a_scheduled_down_window_loses_what_was_sent_in_it(root, topology_file, testbed_lab):
    path = scheduled(topology_file, "      - {at: 0.5, link_down: a:eth0}\n      - {at: 1s, link_up: b:eth0}")
    with testbed_lab(path) as lab:
        results = lab.run_traffic()
        stats = counters(lab)
    events = results["schedule"]["events"]
    assert [event["error"] for event in events] == [None, None]
    for event in events:  # on time, give or take a loaded two-core host's scheduling
        assert event["at_s"] <= event["fired_s"] <= event["at_s"] + 0.15
    window = events[1]["done_s"] - events[0]["fired_s"]
    # udpgen sends 2000/s: the window (0.5 s) holds ~1000 datagrams, and exactly those were dropped.
    assert abs(stats["down_drops"] - 2000 * window) <= 2000 * 0.03
    # What b received is what a sent less the window, give or take the link's own few frames (ARP, IPv6).
    sent, received = results["tx"]["sent_packets"], results["rx"]["window_rx_packets"]
    assert abs(received - (sent - stats["down_drops"])) <= 5


def test_a_scheduled_impairment_change_applies_from_its_time(root, topology_file, testbed_lab):
    path = scheduled(topology_file, "      - {at: 1s, impair: {link: a:eth0, loss: 50%, direction: forward}}")
    with testbed_lab(path) as lab:
        results = lab.run_traffic()
        stats = counters(lab)
        config = relay.stats(lab.run, lab.plan.relays[0])["directions"]["ab"]["config"]
    assert results["schedule"]["events"][0]["error"] is None
    assert config["loss_ppm"] == 500_000
    # ~1000 datagrams after the change (2 s of 2000/s, the first second clean): about half of those lost.
    assert 800 <= stats["dropped"] <= 1200


def test_a_schedule_naming_a_plain_link_is_refused(root, topology_file, testbed_cli, state_root):
    path = topology_file("plain", SCHEDULED.format(events="      - {at: 1, link_down: a:eth0}").replace(
        "impair: {}", "mtu: 1500"))
    done = testbed_cli("up", str(path))
    assert done.returncode == 2
    assert f"{path}: schedule.0.link_down: 'a:eth0' is not an impaired link" in done.stderr
    assert not list(state_root.glob("*/state.json"))


@pytest.mark.parametrize("io", ["hypercall"])
def test_a_scheduled_node_stop_freezes_a_unikernel(kvm, topology_file, testbed_lab, io):
    path = topology_file("frozen", f"""
        name: frozen
        nodes:
          host: {{kind: netns}}
          guest: {{kind: unikernel, image: ping-serve, memory: 32, io: {io}}}
        links:
          - {{endpoints: [host:eth0, guest:service0], subnet: 10.64.0.0/30}}
        traffic:
          - {{name: ping, ping: {{from: host, to: guest, count: 150, interval: 0.01, timeout: 10}}}}
        schedule:
          - {{at: 0.5, node_stop: guest}}
          - {{at: 1.0, node_start: guest}}
    """)
    with testbed_lab(path) as lab:
        results = lab.run_traffic()
        assert lab.ping("host", "guest", count=5, interval=0.05).received == 5  # running again
    assert [event["error"] for event in results["schedule"]["events"]] == [None, None]
    ping = results["ping"]
    # Pings sent while the guest was frozen are answered late (its queue), not necessarily lost: the RTT shows it.
    assert ping["rtt_max_ms"] >= 300
