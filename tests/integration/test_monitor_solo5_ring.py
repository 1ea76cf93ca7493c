"""test_monitor_solo5_ring: --io=solo5-ring serves Solo5 0.12's network ring: pings cross it both ways with no
NET hypercall, the ring is only offered when asked, and a guest that corrupts it is stopped."""
from __future__ import annotations

import json

import pytest

from framework.netns import ping_guest

EXIT_FAULT = 126


def test_pings_cross_the_solo5_ring(kvm, guest_app, tap_ns):
    guest = guest_app("ring-ping", io="solo5-ring", stats=True)
    done = ping_guest(tap_ns, count=20, interval=0.02)
    assert " 0% packet loss" in done.stdout, done.stdout
    assert guest.stop() == 143
    stats = json.loads(guest.stats_path.read_text())
    ring = stats["solo5_ring"]
    assert ring["writes"] >= 20 and ring["reads"] >= 20 and ring["kicks"] >= ring["writes"]
    assert stats["hypercalls"]["net_read"] == 0 and stats["hypercalls"]["net_write"] == 0
    assert stats["nics"]["service0"]["rx_packets"] >= 20 and stats["nics"]["service0"]["tx_packets"] >= 20


def test_no_ring_unless_asked(kvm, guest_app, tap_ns):
    """Without --io=solo5-ring the boot info offers none and the same guest uses NET hypercalls."""
    guest = guest_app("ring-ping", stats=True)
    done = ping_guest(tap_ns, count=5, interval=0.02)
    assert " 0% packet loss" in done.stdout, done.stdout
    guest.stop()
    stats = json.loads(guest.stats_path.read_text())
    assert "solo5_ring" not in stats
    assert stats["hypercalls"]["net_read"] >= 5 and stats["hypercalls"]["net_write"] >= 5


@pytest.mark.parametrize("how, message", [
    ("ring-bad-buffer", "Solo5 ring: read entry's buffer 0x7fff00000000, length 0x800 is not writable guest memory"),
    ("ring-overrun", "Solo5 ring: 5000 entries pending, more than the ring's 1024"),
    ("ring-bad-op", "Solo5 ring: entry 0 has unknown operation 7"),
])
def test_a_guest_corrupting_the_ring_is_stopped(kvm, monitor, tap_ns, how, message):
    guest = monitor("ring-hostile", how, io="solo5-ring", tap_ns=tap_ns)
    status, lines = guest.finish()
    assert status == EXIT_FAULT, lines
    assert any(line.startswith("tb-monitor: guest fault: ") and message in line for line in lines), lines
