"""test_monitor_net: TAP attachment (existing TAPs only, in a namespace or via --netns), MAC/MTU, busy TAPs, per-NIC stats."""
from __future__ import annotations

import re
import subprocess

from pyroute2 import NetNS

from framework.monitor import EXIT_CONFIG, run_monitor
from framework.netns import ping_guest
from testbed import paths


def nic_info(*options: str) -> subprocess.CompletedProcess:
    return run_monitor(*options, str(paths.test_image("nic-info")), timeout=30)


def set_mtu(tap_ns, mtu: int) -> None:
    with NetNS(tap_ns.netns) as ns:
        ns.link("set", index=ns.link_lookup(ifname=tap_ns.tap)[0], mtu=mtu)


def test_tap_in_a_namespace_with_mac_and_mtu(kvm, tap_ns):
    set_mtu(tap_ns, 1400)
    proc = nic_info(f"--net:service0={tap_ns.tap}@{tap_ns.netns}", "--net-mac:service0=02:aa:bb:cc:dd:ee")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "nic-info: handle 0 mac 02:aa:bb:cc:dd:ee mtu 1400\n"


def test_joining_netns_then_opening_the_tap(kvm, tap_ns):
    proc = nic_info(f"--netns={tap_ns.netns}", f"--net:service0={tap_ns.tap}")
    assert proc.returncode == 0, proc.stderr
    mac = re.search(r"mac ([0-9a-f:]{17}) mtu 1500$", proc.stdout.strip()).group(1)
    first = int(mac[:2], 16)
    assert first & 0x02 and not first & 0x01  # random, locally administered, unicast


def test_random_macs_differ(kvm, tap_ns):
    macs = {nic_info(f"--net:service0={tap_ns.tap}@{tap_ns.netns}").stdout for _ in range(3)}
    assert len(macs) == 3


def test_missing_tap_is_refused_not_created(kvm, tap_ns):
    proc = nic_info(f"--net:service0=tbtnone0@{tap_ns.netns}")
    assert proc.returncode == EXIT_CONFIG
    assert proc.stderr == f"tb-monitor: TAP tbtnone0 in namespace {tap_ns.netns} does not exist\n"
    with NetNS(tap_ns.netns) as ns:
        assert not ns.link_lookup(ifname="tbtnone0")


def test_tap_in_the_wrong_namespace_is_missing(kvm, tap_ns):
    proc = nic_info(f"--net:service0={tap_ns.tap}")  # the TAP lives in tap_ns.netns, not here
    assert proc.returncode == EXIT_CONFIG
    assert proc.stderr == f"tb-monitor: TAP {tap_ns.tap} does not exist\n"


def test_busy_tap_is_refused(kvm, tap_ns, guest_app):
    holder = guest_app("ping-serve")
    assert holder.ready.startswith("ready:")
    proc = nic_info(f"--net:service0={tap_ns.tap}@{tap_ns.netns}")
    holder.stop()
    assert proc.returncode == EXIT_CONFIG
    assert proc.stderr == f"tb-monitor: TAP {tap_ns.tap} in namespace {tap_ns.netns} is busy (another process has it open)\n"


def test_nic_stats_and_exits_grow_with_packets(kvm, tap_ns, guest_app):
    guest = guest_app("ping-serve", stats=True)
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 20, interval=0.01, wait=1)
    guest.stop()
    assert "20 received" in ping.stdout, ping.stdout
    stats = guest.stats()
    nic = stats["nics"]["service0"]
    assert nic["tap"] == tap_ns.tap
    assert nic["rx_packets"] >= 20 and nic["tx_packets"] >= 20  # plus ARP
    assert nic["rx_bytes"] >= 20 * 98 and nic["tx_bytes"] >= 20 * 98
    assert nic["tx_drops"] == 0
    assert stats["hypercalls"]["net_read"] >= 20 and stats["hypercalls"]["net_write"] >= 20
    assert stats["userspace_exits"] >= nic["rx_packets"] + nic["tx_packets"]
    assert stats["stop_reason"] == "signal: Terminated"
