"""test_shmstream: every shared-memory mode (poll, event, hybrid) carries real traffic: pings, exact-count UDP both ways at the smallest frame and at MTU, and rings that wrap many times."""
from __future__ import annotations

import pytest

from framework.monitor import summary
from framework.netns import ping_guest, quiet_namespace, static_neighbour, tap_tx_dropped
from framework.shmstream import GUEST_MAC, MIN_PAYLOAD, MODES, MTU_PAYLOAD, RECV_PORT, SINK_PORT
from framework.udp import send_udp


def check_attached(stats: dict, mode: str) -> dict:
    shm = stats["shmstream"]
    assert shm["mode"] == mode
    nic = shm["nics"]["net0"]
    assert nic["attached"] is True
    return nic


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_ping_serve_answers_100_pings(kvm, tap_ns, guest_app, mode):
    mon = guest_app("ping-serve", io=mode, stats=True)
    ping = ping_guest(tap_ns, 100, timeout=90)
    status = mon.stop()
    assert "100 packets transmitted, 100 received" in ping.stdout, ping.stdout + ping.stderr
    assert status == 128 + 15
    stats = mon.stats()
    check_attached(stats, mode)
    # Frames moved through the rings, not through NET hypercalls.
    assert stats["hypercalls"]["net_read"] == 0 and stats["hypercalls"]["net_write"] == 0
    assert stats["nics"]["service0"]["rx_packets"] >= 100 and stats["nics"]["service0"]["tx_packets"] >= 100


def run_sink(guest_app, tap_ns, mode: str, count: int, size: int, rate: float,
             flags: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """udp-sink receiving `count` datagrams; the guest's MAC is pinned, so no ARP race at the start can drop any."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    mon = guest_app("udp-sink", f"--port={SINK_PORT}", f"--count={count}", "--seconds=15", io=mode, mac=GUEST_MAC,
                    flags=flags, stats=True)
    assert send_udp(tap_ns, SINK_PORT, count, size, rate, blocking=True)["sent"] == count
    status, lines = mon.finish(timeout=40)
    stats = mon.stats()
    diag = {"nics": stats["nics"], "shm": stats.get("shmstream"), "tap_dropped": tap_tx_dropped(tap_ns)}
    assert status == 0, (lines, diag)
    result = summary(lines)
    assert (result["rx_packets"], result["rx_bytes"]) == (count, count * size), (result, diag)
    return result, stats


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [MIN_PAYLOAD, MTU_PAYLOAD])
def test_udp_into_the_guest_exact_count(kvm, tap_ns, guest_app, mode, size):
    _, stats = run_sink(guest_app, tap_ns, mode, 3000, size, 2000)
    nic = check_attached(stats, mode)
    assert nic["rx_ring_full"] == 0


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [MIN_PAYLOAD, MTU_PAYLOAD])
def test_udp_out_of_the_guest_exact_count(kvm, tap_ns, monitor, udp_receiver, mode, size):
    count, rate = 3000, 2000
    receiver = udp_receiver()
    mon = monitor("udp-source", f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}", f"--dst={tap_ns.host_ip}:{RECV_PORT}",
                  f"--size={size}", f"--rate={rate}", f"--count={count}", "--port=4444", io=mode, tap_ns=tap_ns,
                  stats=True)
    status, lines = mon.finish(timeout=60)
    got = receiver.result()
    assert status == 0, lines
    sent = summary(lines)
    assert sent["tx_packets"] == count and sent["tx_errors"] == 0
    assert (got["packets"], got["bytes"]) == (count, count * size), got
    check_attached(mon.stats(), mode)


@pytest.mark.kvm
@pytest.mark.parametrize("mode, slots", [("poll", 512), ("event", 32), ("hybrid", 32)])
def test_rx_ring_wraps_many_times(kvm, tap_ns, guest_app, mode, slots):
    # 8000 frames wrap a 32-slot RX ring 250 times, counted exactly. Poll mode keeps the default ring (15
    # wraps): when its spinning vCPU and IO thread share one core (the sender and other tests want the
    # other), each switch between them moves at most a ring's worth, so a small ring caps it below 2000/s.
    _, stats = run_sink(guest_app, tap_ns, mode, 8000, 200, 2000, flags=(f"--shm-slots={slots}",))
    assert stats["shmstream"]["slots"] == slots
    check_attached(stats, mode)


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_full_tx_ring_at_max_rate_loses_nothing(kvm, tap_ns, monitor, udp_receiver, mode):
    # 8 slots and --rate=max: the guest keeps finding its TX ring full and waits for room (spinning, or
    # sleeping with its prod_wait flag until the IO thread wakes it); the ring wraps 625 times.
    count, size = 5000, 200
    receiver = udp_receiver()
    mon = monitor("udp-source", f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}", f"--dst={tap_ns.host_ip}:{RECV_PORT}",
                  f"--size={size}", "--rate=max", f"--count={count}", "--port=4444", io=mode, tap_ns=tap_ns,
                  flags=("--shm-slots=8",), stats=True)
    status, lines = mon.finish(timeout=60)
    got = receiver.result()
    assert status == 0, lines
    sent = summary(lines)
    assert sent["tx_packets"] == count and sent["tx_errors"] == 0
    assert (got["packets"], got["bytes"]) == (count, count * size)
    check_attached(mon.stats(), mode)
