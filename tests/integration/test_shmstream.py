"""test_shmstream: every shared-memory mode (poll, event, hybrid) carries real traffic: pings, exact-count UDP both ways at the smallest frame and at MTU, and rings that wrap many times."""
from __future__ import annotations

import json

import pytest

from guest_helpers import ping_guest, run_against_receiver
from test_shmstream_util import (GUEST_MAC, MIN_PAYLOAD, MODES, MTU_PAYLOAD, RECV_PORT, SINK_PORT, Monitor,
                                 quiet_namespace, send_udp, start_receiver, static_neighbour, summary,
                                 tap_tx_dropped)


def check_attached(stats: dict, mode: str) -> dict:
    shm = stats["shmstream"]
    assert shm["mode"] == mode
    nic = shm["nics"]["net0"]
    assert nic["attached"] is True
    return nic


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_ping_serve_answers_100_pings(kvm, tap_ns, tmp_path, mode):
    mon = Monitor(tmp_path, "ping-serve", mode, tap_ns, f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}")
    try:
        mon.wait_line("ready:")
        ping = ping_guest(tap_ns, 100, timeout=90)
        status = mon.stop()
    finally:
        mon.kill()
    assert "100 packets transmitted, 100 received" in ping.stdout, ping.stdout + ping.stderr
    assert status == 128 + 15
    stats = mon.stats()
    check_attached(stats, mode)
    # Frames moved through the rings, not through NET hypercalls.
    assert stats["hypercalls"]["net_read"] == 0 and stats["hypercalls"]["net_write"] == 0
    assert stats["nics"]["service0"]["rx_packets"] >= 100 and stats["nics"]["service0"]["tx_packets"] >= 100


def run_sink(tmp_path, tap_ns, mode: str, count: int, size: int, rate: float,
             flags: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """udp-sink receiving `count` datagrams; the guest's MAC is pinned, so no ARP race at the start can drop any."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    mon = Monitor(tmp_path, "udp-sink", mode, tap_ns, f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}",
                  f"--port={SINK_PORT}", f"--count={count}", "--seconds=15", mac=GUEST_MAC, flags=flags)
    try:
        mon.wait_line("ready:")
        send_udp(tap_ns, count, size, rate)
        status, lines = mon.finish(timeout=40)
    finally:
        mon.kill()
    stats = mon.stats()
    diag = {"nics": stats["nics"], "shm": stats.get("shmstream"), "tap_dropped": tap_tx_dropped(tap_ns)}
    assert status == 0, (lines, diag)
    result = summary(lines)
    assert (result["rx_packets"], result["rx_bytes"]) == (count, count * size), (result, diag)
    return result, stats


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [MIN_PAYLOAD, MTU_PAYLOAD])
def test_udp_into_the_guest_exact_count(kvm, tap_ns, tmp_path, mode, size):
    _, stats = run_sink(tmp_path, tap_ns, mode, 3000, size, 2000)
    nic = check_attached(stats, mode)
    assert nic["rx_ring_full"] == 0


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [MIN_PAYLOAD, MTU_PAYLOAD])
def test_udp_out_of_the_guest_exact_count(kvm, tap_ns, tmp_path, mode, size):
    count, rate = 3000, 2000
    receiver = start_receiver(tap_ns)
    mon, status, lines, out = run_against_receiver(receiver, lambda: Monitor(
        tmp_path, "udp-source", mode, tap_ns, f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}",
        f"--dst={tap_ns.host_ip}:{RECV_PORT}", f"--size={size}", f"--rate={rate}", f"--count={count}", "--port=4444"))
    assert status == 0, lines
    sent = summary(lines)
    got = json.loads(out.strip().splitlines()[-1])
    assert sent["tx_packets"] == count and sent["tx_errors"] == 0
    assert (got["packets"], got["bytes"]) == (count, count * size), got
    check_attached(mon.stats(), mode)


@pytest.mark.kvm
@pytest.mark.parametrize("mode, slots", [("poll", 512), ("event", 32), ("hybrid", 32)])
def test_rx_ring_wraps_many_times(kvm, tap_ns, tmp_path, mode, slots):
    # 8000 frames wrap a 32-slot RX ring 250 times, counted exactly. Poll mode keeps the default ring (15
    # wraps): when its spinning vCPU and IO thread share one core (the sender and other tests want the
    # other), each switch between them moves at most a ring's worth, so a small ring caps it below 2000/s.
    _, stats = run_sink(tmp_path, tap_ns, mode, 8000, 200, 2000, flags=(f"--shm-slots={slots}",))
    assert stats["shmstream"]["slots"] == slots
    check_attached(stats, mode)


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_full_tx_ring_at_max_rate_loses_nothing(kvm, tap_ns, tmp_path, mode):
    # 8 slots and --rate=max: the guest keeps finding its TX ring full and waits for room (spinning, or
    # sleeping with its prod_wait flag until the IO thread wakes it); the ring wraps 625 times.
    count, size = 5000, 200
    receiver = start_receiver(tap_ns)
    mon, status, lines, out = run_against_receiver(receiver, lambda: Monitor(
        tmp_path, "udp-source", mode, tap_ns, f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}",
        f"--dst={tap_ns.host_ip}:{RECV_PORT}", f"--size={size}", "--rate=max", f"--count={count}", "--port=4444",
        flags=("--shm-slots=8",)))
    assert status == 0, lines
    sent = summary(lines)
    got = json.loads(out.strip().splitlines()[-1])
    assert sent["tx_packets"] == count and sent["tx_errors"] == 0
    assert (got["packets"], got["bytes"]) == (count, count * size)
    check_attached(mon.stats(), mode)
