"""test_datapath_gso: with TAP offloads the kernel hands the monitor whole GSO frames (UDP GSO, TCP TSO; IPv4 and IPv6);
the guest gets every datagram exactly once, and every segment the monitor made is a correct frame (captured, checked)."""
from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
from pathlib import Path

import dpkt
import pytest

from framework import pcapng
from framework.monitor import summary
from framework.netns import in_ns, quiet_namespace, static_neighbour, tap_tx_dropped
from framework.shmstream import GUEST_MAC, MODES, SINK_PORT

SENDER = Path(__file__).with_name("datapath_gso_send.py")
HOST6, GUEST6 = "fd00:77::1", "fd00:77::2"


def send(tap_ns, *args: object) -> dict:
    done = subprocess.run(in_ns(tap_ns.netns, sys.executable, str(SENDER), *map(str, args)),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def with_ipv6(tap_ns) -> None:
    """A static IPv6 path to the guest's MAC (no DAD, no router solicitations: nothing else reaches the guest)."""
    for argv in (["sysctl", "-qw", f"net.ipv6.conf.{tap_ns.tap}.disable_ipv6=0"],
                 ["ip", "-6", "addr", "add", f"{HOST6}/64", "dev", tap_ns.tap, "nodad"],
                 ["ip", "-6", "neigh", "replace", GUEST6, "lladdr", GUEST_MAC, "dev", tap_ns.tap, "nud", "permanent"]):
        subprocess.run(in_ns(tap_ns.netns, *argv), check=True)


def l4_checksum_ok(ip, proto: int) -> bool:
    """The segment's TCP or UDP checksum, recomputed from scratch over the pseudo-header and the segment."""
    segment = bytes(ip.data)
    if isinstance(ip, dpkt.ip6.IP6):
        pseudo = ip.src + ip.dst + struct.pack("!IxxxB", len(segment), proto)
    else:
        pseudo = ip.src + ip.dst + struct.pack("!xBH", proto, len(segment))
    return dpkt.in_cksum(pseudo + segment) == 0


def segments(capture_path: Path, proto_class) -> list:
    ips = []
    for frame in pcapng.read(capture_path).frames:
        ip = dpkt.ethernet.Ethernet(frame.data).data
        if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and isinstance(ip.data, proto_class) and frame.direction == "in":
            ips.append(ip)
    return ips


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size, last", [(1001, 777), (1472, 1)])
def test_udp_gso_datagrams_arrive_exactly_once(kvm, tap_ns, guest_app, mode, size, last):
    """Odd sizes, odd last segments: 40 messages of 17 datagrams, counted by the guest (which takes lazy checksums)."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    count = 40 * 17
    mon = guest_app("udp-sink", f"--port={SINK_PORT}", f"--count={count}", "--seconds=20", io=mode, mac=GUEST_MAC,
                    stats=True)
    sent = send(tap_ns, "udp", tap_ns.guest_ip, SINK_PORT, size, 17, 40, last)
    status, lines = mon.finish(timeout=40)
    stats = mon.stats()
    nic = stats["shmstream"]["nics"]["net0"]
    diag = {"nic": nic, "nics": stats["nics"], "tap_dropped": tap_tx_dropped(tap_ns)}
    assert status == 0, (lines, diag)
    result = summary(lines)
    assert (result["rx_packets"], result["rx_bytes"]) == (sent["datagrams"], sent["bytes"]), (result, diag)
    # Whole GSO frames crossed the TAP (not 680 kernel-made datagrams), and the guest took lazy checksums.
    assert nic["vnet"] is True and nic["csum_lazy"] is True, nic
    assert 40 <= nic["rx_gso_frames"] and nic["rx_tap_reads"] < count / 2, nic


@pytest.mark.kvm
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_udp_gso_segments_are_correct_frames(kvm, tap_ns, guest_app, tmp_path, family):
    """A guest that verifies checksums itself (no lazy answer): each segment complete and right, payload in order."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    if family == "ipv6":
        with_ipv6(tap_ns)
    dst = GUEST6 if family == "ipv6" else tap_ns.guest_ip
    capture = tmp_path / "rx.pcapng"
    mon = guest_app("ping-serve", io="event", mac=GUEST_MAC, flags=(f"--capture:service0={capture}",), stats=True)
    sent = send(tap_ns, "udp", dst, 9, 999, 23, 3, 555)
    mon.stop()
    nic = mon.stats()["shmstream"]["nics"]["net0"]
    udp = segments(capture, dpkt.udp.UDP)
    assert len(udp) == sent["datagrams"], (len(udp), nic)
    assert nic["csum_lazy"] is False and nic["rx_gso_frames"] >= 3, nic
    for i, ip in enumerate(udp):
        expect = 555 if i % 23 == 22 else 999
        assert len(ip.data.data) == expect and ip.data.ulen == 8 + expect, i
        assert l4_checksum_ok(ip, socket.IPPROTO_UDP), f"segment {i}: bad UDP checksum"
        if family == "ipv4":
            assert dpkt.in_cksum(bytes(ip)[:20]) == 0 and ip.len == 28 + expect, i


@pytest.mark.kvm
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_tcp_tso_segments_are_correct_frames(kvm, tap_ns, guest_app, tmp_path, family):
    """TSO from a TCP socket put in ESTABLISHED by TCP_REPAIR: every segment fits the MTU, has the right checksum,
    and the first flight's bytes are all there in sequence (across a sequence-number wrap)."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    if family == "ipv6":
        with_ipv6(tap_ns)
    src, dst = (HOST6, GUEST6) if family == "ipv6" else (tap_ns.host_ip, tap_ns.guest_ip)
    capture = tmp_path / "rx.pcapng"
    mon = guest_app("ping-serve", io="hybrid", mac=GUEST_MAC, flags=(f"--capture:service0={capture}",), stats=True)
    mss = 1000
    sent = send(tap_ns, "tcp", src, dst, 7001, mss, 200000)
    mon.stop()
    nic = mon.stats()["shmstream"]["nics"]["net0"]
    tcp = [ip for ip in segments(capture, dpkt.tcp.TCP) if ip.data.data]
    assert tcp and nic["rx_gso_frames"] >= 1, (len(tcp), nic)  # at least one TSO frame split by the monitor
    covered = set()
    for ip in tcp:
        seg = ip.data
        assert len(bytes(ip)) <= 1500, len(bytes(ip))  # the kernel picks the segment size; the MTU bounds it
        assert l4_checksum_ok(ip, socket.IPPROTO_TCP), f"segment at {seg.seq:#x}: bad TCP checksum"
        offset = (seg.seq - sent["seq"]) % 2**32
        expect = bytes((offset + i) % 253 for i in range(len(seg.data)))
        assert seg.data == expect, f"payload at offset {offset}"
        covered.update(range(offset, offset + len(seg.data)))
    first_flight = min(covered), max(covered) + 1
    assert first_flight[0] == 0 and len(covered) == first_flight[1], "a hole in the bytes sent"
    assert first_flight[1] >= 2 * mss, first_flight


@pytest.mark.kvm
def test_a_guest_without_rings_gets_gso_frames_split_too(kvm, tap_ns, guest_app, tmp_path):
    """A hypercall guest on a ring-mode TAP (offloads on): NET_READ hands out the segments one by one."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    capture = tmp_path / "rx.pcapng"
    mon = guest_app("shm_legacy", "--seconds=30", io="event", mac=GUEST_MAC,
                    flags=(f"--capture:service0={capture}",), stats=True)
    sent = send(tap_ns, "udp", tap_ns.guest_ip, 9, 1200, 20, 3, 1)
    mon.stop()
    stats = mon.stats()
    assert stats["shmstream"]["nics"]["net0"]["attached"] is False
    udp = segments(capture, dpkt.udp.UDP)
    assert len(udp) == sent["datagrams"] and stats["hypercalls"]["net_read"] >= sent["datagrams"], len(udp)
    assert all(l4_checksum_ok(ip, socket.IPPROTO_UDP) for ip in udp)


@pytest.mark.kvm
def test_the_next_reader_gets_plain_frames_after_a_kill_9(kvm, tap_ns, guest_app):
    """Offloads belong to the TAP and outlive a killed monitor; the next reader (here the ceiling's tapread) sets
    them off again, so it counts datagrams, not 64 KiB GSO frames."""
    from testbed import paths

    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    mon = guest_app("udp-sink", f"--port={SINK_PORT}", io="event", mac=GUEST_MAC)
    mon.proc.kill()  # SIGKILL: nothing of the monitor runs after this
    mon.proc.wait(timeout=10)
    reader = subprocess.Popen([str(paths.tool_path("tapread")), f"--tap={tap_ns.tap}", f"--netns={tap_ns.netns}",
                               "--count=170", "--seconds=20", "--json"], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().startswith("ready:")
        sent = send(tap_ns, "udp", tap_ns.guest_ip, SINK_PORT, 1000, 17, 10, 1000)
        out, _ = reader.communicate(timeout=30)
    finally:
        reader.kill()
    got = json.loads(out.strip().splitlines()[-1])
    assert got["udp_packets"] == sent["datagrams"] == 170, got
