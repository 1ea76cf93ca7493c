"""`schedule:` against a real lab: a link taken down and up again at set times from the start of traffic loses
what was sent in between (and only that); an impairment change and a unikernel stop/start fire on time."""
from __future__ import annotations

import time

import pytest

from framework.wire import counters, flow, static_neighbours
from testbed.apply import relay
from testbed.run.schedule import Schedule

CHATTER = 5  # the relay's counters also count the link's own multicast frames

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
      - {{name: tx, udpgen: {{from: a, to: b, size: 100, rate: 2000, count: 6000}}}}
    schedule:
{events}
"""


def scheduled(topology_file, events: str):
    return topology_file("scheduled", SCHEDULED.format(events=events))


def test_the_schedule_runs_beside_the_traffic(root, topology_file, testbed_lab):
    # From 1 s to 1.5 s of the 3-s flood: after the generator has started, even on a loaded host.
    path = scheduled(topology_file, "      - {at: 1, link_down: a:eth0}\n      - {at: 1500ms, link_up: b:eth0}")
    with testbed_lab(path) as lab:
        results = lab.run_traffic()
        stats = counters(lab)
    events = results["schedule"]["events"]
    assert [(event["what"], event["error"]) for event in events] == [("link down a:eth0", None),
                                                                      ("link up b:eth0", None)]
    for event in events:  # on time, give or take a loaded two-core host's scheduling
        assert event["at_s"] <= event["fired_s"] <= event["at_s"] + 0.15
    assert "link down a:eth0 at 1.0" in results["schedule"]["fired"]
    # What b received is what a sent less what the window dropped, give or take the link's own few frames.
    sent, received = results["tx"]["sent_packets"], results["rx"]["window_rx_packets"]
    assert stats["down_drops"] > 0
    assert abs(received - (sent - stats["down_drops"])) <= 2 * CHATTER  # its ARP, IPv6 and MLD frames too


def test_a_scheduled_down_window_loses_exactly_what_was_sent_in_it(root, topology_file, testbed_lab):
    """The schedule's own machinery beside a flow whose every datagram's send time is known."""
    path = scheduled(topology_file, "      - {at: 0.5, link_down: a:eth0}\n      - {at: 1, link_up: a:eth0}")
    with testbed_lab(path) as lab:
        static_neighbours(lab, "a", "b")
        timeline = Schedule(lab, lab.plan.schedule, 0.0)

        def start_the_schedule():
            timeline.started = time.monotonic()
            timeline.start()
        result = flow(lab, "a", "b", count=1500, rate=1000, during=start_the_schedule)
        timeline.stop()
        stats = counters(lab)
    down, up = ({**event, "fired": timeline.started + event["fired_s"], "done": timeline.started + event["done_s"]}
                for event in timeline.log()["events"])
    lost = sorted(set(range(1500)) - set(result["seqs"]))
    assert 300 < len(lost) <= stats["down_drops"] <= len(lost) + CHATTER
    sent_at = result["times"]
    surely_inside = {seq for seq, t in enumerate(sent_at) if down["done"] < t < up["fired"]}
    surely_outside = {seq for seq, t in enumerate(sent_at) if t < down["fired"] - 0.005 or t > up["done"] + 0.005}
    assert surely_inside <= set(lost)
    assert not surely_outside & set(lost)


def test_a_scheduled_impairment_change_applies_from_its_time(root, topology_file, testbed_lab):
    path = scheduled(topology_file, "      - {at: 1s, impair: {link: a:eth0, loss: 50%, direction: forward}}")
    with testbed_lab(path) as lab:
        results = lab.run_traffic()
        stats = counters(lab)
        config = relay.stats(lab.run, lab.plan.relays[0])["directions"]["ab"]["config"]
    assert results["schedule"]["events"][0]["error"] is None
    assert config["loss_ppm"] == 500_000
    # ~4000 datagrams after the change (2 of the flood's 3 s at 2000/s): about half of those lost.
    assert 1600 <= stats["dropped"] <= 2400


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
        # Running again (it may still be working through what queued up while it was frozen: not every echo)
        assert lab.ping("host", "guest", count=10, interval=0.05).received >= 5
    assert [event["error"] for event in results["schedule"]["events"]] == [None, None]
    ping = results["ping"]
    # Pings sent while the guest was frozen are answered late (its queue), not necessarily lost: the RTT shows it.
    assert ping["rtt_max_ms"] >= 300
