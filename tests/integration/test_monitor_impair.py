"""test_monitor_impair: the impairment engine inside the monitor's packet path (--impair:NIC=SPEC), per io mode."""
from __future__ import annotations

import re

import pytest

from framework.monitor import EXIT_CONFIG, run_monitor
from framework.netns import ping_guest, quiet_namespace, static_neighbour
from testbed import paths

GUEST_MAC = "02:00:00:00:51:01"


def replied_seqs(ping_stdout: str) -> set[int]:
    return {int(m) for m in re.findall(r"icmp_seq=(\d+) ", ping_stdout)}


def min_rtt_ms(ping_stdout: str) -> float:
    return float(re.search(r"= ([\d.]+)/", ping_stdout).group(1))


IO_MODES = pytest.mark.parametrize("io", ["hypercall", "event", "hybrid"])


def lossy_round(guest_app, tap_ns, io: str, spec: str):
    """ping-serve behind `spec` on what it receives: the echo requests that got a reply, and the monitor's stats."""
    guest = guest_app("ping-serve", io=io, mac=GUEST_MAC, stats=True, flags=(f"--impair-rx:service0={spec}",))
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 40, interval=0.02, wait=1)
    guest.stop()
    return replied_seqs(ping.stdout), guest.stats()["nics"]["service0"]


@IO_MODES
def test_loss_drops_the_same_packets_with_the_same_seed(kvm, tap_ns, guest_app, io):
    # No ARP and no IPv6 chatter (a router solicitation or MLD report would take a packet index): the echo
    # requests are the only frames, so the same seed drops the same ones.
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    first, stats = lossy_round(guest_app, tap_ns, io, "loss=300000,seed=7")
    second, _ = lossy_round(guest_app, tap_ns, io, "loss=300000,seed=7")
    other, _ = lossy_round(guest_app, tap_ns, io, "loss=300000,seed=8")
    assert 10 <= len(first) <= 38, first  # 30% of 40: far from none and from all
    assert first == second
    assert other != first
    counters = stats["impair"]["rx"]
    assert "tx" not in stats["impair"]
    assert counters["received"] == counters["sent"] + counters["dropped"]
    assert counters["dropped"] >= 40 - len(first)


@IO_MODES
def test_delay_both_ways_shows_in_the_round_trip(kvm, tap_ns, guest_app, io):
    guest = guest_app("ping-serve", io=io, stats=True, flags=("--impair:service0=delay=20000000",))
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 10, interval=0.05, wait=2)
    guest.stop()
    assert "10 received" in ping.stdout, ping.stdout
    assert min_rtt_ms(ping.stdout) >= 40.0, ping.stdout
    impair = guest.stats()["nics"]["service0"]["impair"]
    assert impair["rx"]["delayed"] >= 10 and impair["tx"]["delayed"] >= 10
    assert impair["rx"]["dropped"] == impair["tx"]["dropped"] == 0


@IO_MODES
def test_duplicates_reach_the_pinger(kvm, tap_ns, guest_app, io):
    guest = guest_app("ping-serve", io=io, stats=True, flags=("--impair-tx:service0=duplicate=1000000",))
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 5, interval=0.05, wait=1)
    guest.stop()
    assert "5 received" in ping.stdout and "DUP!" in ping.stdout, ping.stdout
    assert guest.stats()["nics"]["service0"]["impair"]["tx"]["duplicated"] >= 5


def test_solo5_ring_is_impaired_too(kvm, tap_ns, guest_app):
    guest = guest_app("ring-ping", io="solo5-ring", stats=True, flags=("--impair:service0=delay=20000000",))
    ping = ping_guest(tap_ns, 10, interval=0.05, wait=2)
    guest.stop()
    assert "10 received" in ping.stdout, ping.stdout
    assert min_rtt_ms(ping.stdout) >= 40.0, ping.stdout
    stats = guest.stats()
    assert stats["hypercalls"]["net_read"] == 0 and stats["hypercalls"]["net_write"] == 0
    impair = stats["nics"]["service0"]["impair"]
    assert impair["rx"]["delayed"] >= 10 and impair["tx"]["delayed"] >= 10


@IO_MODES
def test_no_impairment_leaves_the_nic_alone(kvm, tap_ns, guest_app, io):
    guest = guest_app("ping-serve", io=io, stats=True)
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 10, interval=0.01, wait=1)
    guest.stop()
    assert "10 received" in ping.stdout, ping.stdout
    assert "impair" not in guest.stats()["nics"]["service0"]


def test_bad_impairments_are_refused_in_one_line(kvm, tap_ns):
    image = str(paths.test_image("nic-info"))
    net = f"--net:service0={tap_ns.tap}@{tap_ns.netns}"
    for flags, message in [
        ((net, "--impair:service0=loss=2000000"), "--impair:service0=loss=2000000: "),
        ((net, "--impair:service0=bogus=1"), "--impair:service0=bogus=1: "),
        ((net, "--impair:other=loss=1"), "--impair:other=loss=1: no --net:other=... option for this device"),
        ((net, "--impair-link:service0=x"), "--impair-link:service0=x: expected a 64-bit link number"),
    ]:
        proc = run_monitor(*flags, image, timeout=30)
        assert proc.returncode == EXIT_CONFIG, (flags, proc.stderr)
        assert proc.stderr.startswith(f"tb-monitor: {message}") and proc.stderr.count("\n") == 1, proc.stderr
