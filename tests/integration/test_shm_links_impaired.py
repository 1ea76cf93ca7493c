"""Impaired and captured shm links: the frames pass through a monitor's IO thread, which applies the link's
impairment (the same seeded decisions every run), delays a ping by what was asked, captures pcapng, counts a peer
that corrupts the link's rings without stopping, delivers in every ring mode, and leaves nothing behind."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import dpkt
import pytest
from test_shm_links import link_stats, memfds_of, summary

from framework import pcapng
from testbed import paths
from testbed.apply import relay
from testbed.lab import Lab
from testbed.run import links


def pair_yaml(io: str, count: int, link: str, payload: int = 100, rate: str = "20000") -> str:
    return f"""
        name: shmimp
        nodes:
          src: {{kind: unikernel, image: udp-source, io: {io}, memory: 16,
                 args: [--dst=10.32.0.2:5000, --size={payload}, --count={count}, --rate={rate}]}}
          dst: {{kind: unikernel, image: udp-sink, io: {io}, memory: 16, args: [--seconds=60]}}
        links:
          - endpoints: [src:service0, dst:service0]
            addresses: [10.32.0.1/24, 10.32.0.2/24]
            {link}
        """


def udp_sequences(capture: pcapng.Capture, direction: str) -> list[int]:
    """The udp-source sequence numbers (the payload's first 8 bytes) of the capture's UDP frames one way."""
    seqs = []
    for frame in capture.frames:
        packet = dpkt.ethernet.Ethernet(frame.data).data
        if frame.direction == direction and isinstance(packet, dpkt.ip.IP) and isinstance(packet.data, dpkt.udp.UDP):
            seqs.append(int.from_bytes(packet.data.data[:8], "big"))
    return seqs


def captured(tmp_path, run_id: str) -> pcapng.Capture:
    (file,) = sorted((tmp_path / "captures" / run_id).glob("*.pcapng"))
    return pcapng.read(file)


def wait_sink(lab: Lab, packets: int, timeout: float = 60.0) -> dict:
    """The sink's last per-second line once it reports `packets` (it runs on for its --seconds)."""
    deadline, last = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        ticks = [json.loads(line) for line in lab.console("dst").splitlines() if line.startswith('{"t":')]
        last = ticks[-1] if ticks else last
        if last.get("rx_packets", 0) >= packets:
            return last
        time.sleep(0.1)
    return last


def run_lossy(topology_file, run_prefix, tmp_path, count: int) -> tuple[list[int], dict, dict]:
    # Loss at the first end's monitor (its TX engine), the capture at the receiving end's: both ends mediated.
    path = topology_file("shmimp", pair_yaml("event", count, "impair: {loss: 10%}\n"
                                             "            capture: {at: 'dst:service0', files: 1, size: 64MB}"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        sent = summary(lab, "src")
        time.sleep(0.5)  # the last frames cross; the sink counts on
        run_id = lab.run_id
    src, dst = lab.stats("src"), lab.stats("dst")
    assert memfds_of(run_id) == []
    return udp_sequences(captured(tmp_path, run_id), "in"), sent, {"src": src, "dst": dst}


def test_loss_on_an_shm_link_drops_the_same_frames_every_run(kvm, topology_file, run_prefix, tmp_path):
    count = 20_000
    first, sent, stats = run_lossy(topology_file, run_prefix, tmp_path, count)
    second, _, _ = run_lossy(topology_file, run_prefix, tmp_path, count)
    assert sent["tx_packets"] == count
    assert first == second  # seeded from the topology's seed and the link's name: the same decisions
    assert first == sorted(set(first))  # no duplicates, no reordering
    assert 0.87 * count < len(first) < 0.93 * count, len(first)
    src, dst = link_stats(stats["src"]), link_stats(stats["dst"])
    assert src["mediated"] and dst["mediated"] and src["peer_corrupt"] == dst["peer_corrupt"] == 0
    engine = stats["src"]["nics"]["service0"]["impair"]["tx"]
    assert engine["dropped"] == count + 1 - engine["sent"]  # the ARP request is a frame too
    assert stats["dst"]["nics"]["service0"]["rx_packets"] - 1 == len(first)  # all but the ARP request are datagrams


@pytest.mark.parametrize("both", [False, True], ids=["other-end-direct", "both-ends-mediated"])
@pytest.mark.parametrize("io", ["poll", "event", "hybrid"])
def test_every_ring_mode_delivers_every_frame_through_the_monitor(kvm, topology_file, run_prefix, tmp_path, io, both):
    """The first end's IO thread impairs (doing nothing); the second end's guest reads the link's ring itself, or
    its monitor's IO thread does too (it captures), so two IO threads talk over the link's rings."""
    count = 20_000
    link = "impair: {loss: 0%}" + ("\n            capture: {at: 'dst:service0', files: 1, size: 64MB, snaplen: 64}"
                                   if both else "")
    path = topology_file("shmimp", pair_yaml(io, count, link, payload=1258, rate="max"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert summary(lab, "src")["tx_packets"] == count
        assert wait_sink(lab, count)["rx_packets"] == count
        run_id = lab.run_id
    src, dst = lab.stats("src"), lab.stats("dst")
    # The monitor copied every frame (the datagrams and ARP: a slow answer in poll mode brings a second request).
    assert link_stats(src)["mediated"] and count + 1 <= src["nics"]["service0"]["tx_packets"] <= count + 3
    assert link_stats(dst)["mediated"] == both  # else the other end reads the link's ring directly
    if both:
        assert len(udp_sequences(captured(tmp_path, run_id), "in")) == count
    assert memfds_of(run_id) == []


@pytest.mark.parametrize("io", ["event", "hybrid"])
@pytest.mark.parametrize(("delay_ms", "pings"), [(0, 500), (3, 50)], ids=["no-op", "delay-3ms"])
def test_a_ping_over_an_impaired_shm_link_takes_the_delay_and_loses_no_wakeup(kvm, topology_file, run_prefix, io,
                                                                             delay_ms, pings):
    """Each echo needs both IO-thread handoffs to wake their sleeper: a lost wakeup would lose the echo (no timer
    wakes the IO thread of a no-op link)."""
    impair = f"{{delay: {delay_ms}ms}}" if delay_ms else "{loss: 0%}"
    path = topology_file("shmimpping", f"""
        name: shmimpping
        nodes:
          a: {{kind: unikernel, image: ping-guest, io: {io}, memory: 16, args: [--to=10.35.0.2, --count={pings}]}}
          b: {{kind: unikernel, image: ping-serve, io: {io}, memory: 16}}
        links:
          - {{endpoints: [a:service0, b:service0], subnet: 10.35.0.0/24, impair: {impair}}}
        """)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert [link.monitor for link in lab.plan.relays] == ["a"]  # no tb-wire: the first end's monitor
        assert all(m.shm_nics and not m.nics for m in lab.plan.monitors) and lab.plan.bridges == ()
        result = summary(lab, "a")
        run_id = lab.run_id
    assert result["received"] == pings and result["lost"] == 0
    assert result["rtt_min_us"] >= 2 * delay_ms * 1000  # each way
    assert memfds_of(run_id) == []


def test_a_captured_shm_link_holds_every_frame_both_ways(kvm, topology_file, run_prefix, tmp_path):
    count = 2_000
    path = topology_file("shmimp", pair_yaml("event", count, "capture: {files: 1}"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        argv = {node: lab.processes()[node]["argv"] for node in ("src", "dst")}
        assert [node for node in argv if any(a.startswith("--capture:") for a in argv[node])] == ["src"]  # default end
        summary(lab, "src")
        assert wait_sink(lab, count)["rx_packets"] == count
        run_id = lab.run_id
    capture = captured(tmp_path, run_id)
    assert capture.ifname == "src:service0" and capture.tsresol == 9
    assert udp_sequences(capture, "out") == list(range(count))
    arp = [(dpkt.ethernet.Ethernet(f.data).data.op, f.direction) for f in capture.frames if f.data[12:14] == b"\x08\x06"]
    # The ARP request out (again if the answer was slow) and its reply in.
    assert set(arp) == {(dpkt.arp.ARP_OP_REQUEST, "out"), (dpkt.arp.ARP_OP_REPLY, "in")}, arp
    assert len(capture.frames) == count + len(arp)  # nothing else: the datagrams and ARP
    assert memfds_of(run_id) == []


def test_a_corrupting_peer_on_a_mediated_link_is_counted_and_crashes_nothing(kvm, topology_file, run_prefix):
    """The peer scribbles over both rings of the link for 2 s; the victim's monitor, which carries the link (it is
    captured there), refuses and counts what it cannot trust, and its guest sees none of it."""
    path = topology_file("shmimpbad", f"""
        name: shmimpbad
        nodes:
          victim: {{kind: unikernel, image: udp-sink, io: event, memory: 16, args: []}}
          bad: {{kind: unikernel, image: {paths.test_image("shm_link_corrupt")}, io: event, memory: 16, auto_args: false, args: ['2']}}
        links:
          - {{endpoints: [victim:service0, bad:service0], subnet: 10.36.0.0/24, capture: {{files: 1}}}}
        """)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        bad_summary = summary(lab, "bad", timeout=20)
        deadline = time.monotonic() + 30
        while '{"t":4,' not in lab.console("victim") and time.monotonic() < deadline:
            time.sleep(0.1)
        tick = [line for line in lab.console("victim").splitlines() if line.startswith('{"t":4,')]
        run_id = lab.run_id
    assert bad_summary["rounds"] > 10
    assert tick and '"rx_packets":0' in tick[0]  # no garbage passed for a datagram
    bad, victim = lab.stats("bad"), lab.stats("victim")
    assert bad["exit_status"] == 0, bad
    assert victim["exit_status"] == 128 + signal.SIGTERM, victim  # stopped by down, not by the corruption
    link = link_stats(victim)
    assert link["mediated"] and link["state"] == "down" and link["peer_corrupt"] > 0, link
    assert link["guest_rx_bad"] == 0  # the monitor refused the impossible lengths before the guest saw them
    assert memfds_of(run_id) == []


def test_kill_9_of_the_peer_leaves_the_mediating_monitor_dropping_and_counting(kvm, topology_file, run_prefix):
    path = topology_file("shmimp", pair_yaml("event", 600_000, "impair: {loss: 0%}"))  # 30 s at 20,000/s
    with Lab.up(path, name_prefix=run_prefix) as lab:
        wait_sink(lab, 1000)  # traffic flows through the first end's IO thread
        os.kill(lab.processes()["dst"]["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while "shm link down" not in lab.console("src") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert Path(f"/proc/{lab.processes()['src']['pid']}").exists()  # still running, still sending
        run_id = lab.run_id
    src = lab.stats("src")
    assert src["exit_status"] == 128 + signal.SIGTERM  # stopped by down, not by the peer's death
    link = link_stats(src)
    assert link["mediated"] and link["state"] == "down" and link["down_drops"] > 0, link
    assert memfds_of(run_id) == []


def test_a_run_time_change_reaches_the_mediating_monitor(kvm, topology_file, run_prefix):
    """`testbed impair` and `testbed links` reach an impaired shm link through its monitor's control file."""
    path = topology_file("shmimp", pair_yaml("event", 600_000, "impair: {loss: 0%}"))  # 30 s at 20,000/s
    with Lab.up(path, name_prefix=run_prefix) as lab:
        (link,) = lab.plan.relays
        assert (link.monitor, link.nic) == ("src", "service0") and all(m.shm_nics for m in lab.plan.monitors)
        wait_sink(lab, 2000)

        def forward() -> dict:
            time.sleep(0.4)
            return relay.stats(lab.run, link)["directions"]["ab"]["counters"]

        relay.set_down(lab.run, link, True)
        first = forward()
        second = forward()
        relay.set_down(lab.run, link, False)
        third = forward()
        (row,) = links.rows(lab)
        run_id = lab.run_id
    assert second["sent"] == first["sent"] and second["down_drops"] > first["down_drops"] > 0  # down: nothing passes
    assert third["sent"] > second["sent"]  # up again
    assert row["directions"]["ab"]["counters"]["sent"] >= third["sent"]
    assert memfds_of(run_id) == []
