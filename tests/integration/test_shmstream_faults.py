"""test_shmstream_faults: shmstream under stress and abuse: a guest that stops reading, a guest that corrupts its rings, a guest that never uses them."""
from __future__ import annotations

import pytest

from framework.monitor import summary
from framework.netns import ping_guest, quiet_namespace, static_neighbour, tap_tx_dropped
from framework.shmstream import GUEST_MAC, MODES, SINK_PORT
from framework.udp import send_udp


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_guest_that_stops_reading_drops_counted_then_recovers(kvm, tap_ns, monitor, mode):
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    burst, after = 3000, 500
    mon = monitor("shm_stall", "2500", "5000", io=mode, tap_ns=tap_ns, mac=GUEST_MAC, stats=True)
    mon.wait_line("stalling")
    # far more than the RX ring (256) and the TAP queue (1000) hold
    assert send_udp(tap_ns, SINK_PORT, burst, 200, 30000, blocking=True)["sent"] == burst
    mon.wait_line("reading", timeout=20)
    # the guest reads again: all of these must arrive
    assert send_udp(tap_ns, SINK_PORT, after, 200, 1000, blocking=True)["sent"] == after
    status, lines = mon.finish(timeout=30)
    assert status == 0, lines
    udp = summary(lines)["udp"]
    dropped = tap_tx_dropped(tap_ns)
    stats = mon.stats()
    nic = stats["shmstream"]["nics"]["net0"]
    assert nic["rx_ring_full"] >= 1
    # Nothing lost silently: what the guest counted plus what the kernel dropped at the TAP is what was sent.
    assert dropped > 0
    assert udp + dropped == burst + after, (udp, dropped)
    assert udp >= 256 + after
    assert stats["nics"]["service0"]["rx_packets"] == udp


@pytest.mark.kvm
@pytest.mark.parametrize("case, reason", [
    ("prod", "service0 tx ring corrupted by the guest: producer index 100000 outside"),
    ("len", "service0 tx ring corrupted by the guest: frame length 60000"),
    ("cons", "service0 rx ring corrupted by the guest: consumer index"),
    ("flag", "service0 tx ring corrupted by the guest: prod_wait flag is 7, not 0 or 1"),
    ("attach", "service0: attach word 0x12345678"),
])
@pytest.mark.parametrize("mode", MODES)
def test_corrupt_ring_stops_the_guest_with_the_reason(kvm, tap_ns, monitor, mode, case, reason):
    mon = monitor("shm_corrupt", case, io=mode, tap_ns=tap_ns, stats=True)
    status, lines = mon.finish(timeout=20)
    assert f"corrupting: {case}" in lines
    assert "shm_corrupt: still running" not in lines
    assert status == 126, lines  # TB_EXIT_FAULT
    errors = [line for line in lines if line.startswith("tb-monitor: guest fault: shmstream: ")]
    assert len(errors) == 1 and reason in errors[0], lines
    stats = mon.stats()
    assert stats["exit_status"] == 126 and reason in stats["stop_reason"]


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_guest_without_shmstream_falls_back_to_hypercalls(kvm, tap_ns, guest_app, mode):
    mon = guest_app("shm_legacy", "--seconds=30", io=mode, stats=True)
    ping = ping_guest(tap_ns, 50)
    mon.stop()
    assert "50 packets transmitted, 50 received" in ping.stdout, ping.stdout + ping.stderr
    stats = mon.stats()
    assert stats["shmstream"]["nics"]["net0"]["attached"] is False
    assert stats["hypercalls"]["net_read"] >= 50 and stats["hypercalls"]["net_write"] >= 50


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_udp_sink_exact_count_with_static_neighbour(kvm, tap_ns, monitor, mode):
    # A guest that never answers ARP still receives: the namespace knows its MAC (used by the stall test).
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    mon = monitor("shm_stall", "1", "2500", io=mode, tap_ns=tap_ns, mac=GUEST_MAC, stats=True)
    mon.wait_line("reading")
    assert send_udp(tap_ns, SINK_PORT, 1000, 100, 2000, blocking=True)["sent"] == 1000
    status, lines = mon.finish(timeout=30)
    assert status == 0
    assert summary(lines) == {"summary": True, "udp": 1000, "other": 0}
    assert tap_tx_dropped(tap_ns) == 0
