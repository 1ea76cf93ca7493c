"""test_guest_apps: the built-in guest apps (hello, ping-serve, udp-sink, udp-source) on the real monitor, with real packets through a TAP."""
from __future__ import annotations

import re
import subprocess
import time

import pytest

from framework.monitor import json_lines, summary
from framework.netns import ping_guest
from framework.udp import send_udp

SINK_PORT, RECV_PORT = 5000, 6000
# Every I/O mode runs the same guest binary: the network tests run in each.
IO_MODES = ["hypercall", "poll", "event", "hybrid"]


@pytest.mark.kvm
def test_hello_prints_its_arguments(kvm, monitor):
    status, lines = monitor("hello", "arg1", "two", "--three=3", io="hypercall").finish(timeout=20)
    assert status == 0
    assert "hello: arg1 two --three=3" in lines


@pytest.mark.kvm
@pytest.mark.parametrize("image,args,message", [
    ("ping-serve", ["--bogus=1"], "ping-serve: unknown argument '--bogus=1'"),
    ("udp-sink", ["--port=5000"], "udp-sink: missing --ip=ADDR/PREFIX"),
    ("udp-source", ["--ip=10.77.0.2/24", "--dst=10.77.0.1:6000", "--rate=fast"],
     "udp-source: bad value in '--rate=fast' (expected --rate=PPS|max)"),
    ("udp-source", ["--ip=10.77.0.2/24", "--dst=10.9.0.1:6000"],
     "udp-source: --dst is not on-link for --ip and no --gw was given"),
])
def test_bad_arguments_exit_2_with_a_message(kvm, tap_ns, monitor, image, args, message):
    status, lines = monitor(image, *args, tap_ns=tap_ns, io="hypercall").finish(timeout=20)
    assert status == 2, lines
    assert message in lines
    assert any(line.startswith(f"usage: {image} ") for line in lines)
    assert not any(line.startswith("ready:") for line in lines)


@pytest.mark.kvm
@pytest.mark.parametrize("io", IO_MODES)
def test_ping_serve_answers_100_pings(kvm, tap_ns, guest_app, io):
    guest = guest_app("ping-serve", io=io)
    assert guest.ready.startswith(f"ready: ping-serve ip={tap_ns.guest_ip}/{tap_ns.prefix} mac=")
    ping = ping_guest(tap_ns, 100, wait=1)
    assert "100 packets transmitted, 100 received" in ping.stdout, ping.stdout + ping.stderr
    assert ping.returncode == 0
    rtt = re.search(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)", ping.stdout)
    print(f"ping-serve io={io} RTT min/avg/max ms: {rtt.groups()}")


@pytest.mark.kvm
def test_ping_serve_stops_after_count(kvm, tap_ns, guest_app):
    guest = guest_app("ping-serve", "--count=5", "--seconds=30", io="hypercall")
    ping = ping_guest(tap_ns, 5, interval=0.05, wait=1, timeout=30)
    status, lines = guest.finish(timeout=10)
    assert "5 received" in ping.stdout
    assert status == 0
    assert summary(lines)["echo_replies"] == 5


def send_from_ns(tap_ns, count: int, size: int, rate: int) -> tuple[int, float]:
    """Sends from a socket in the namespace; returns how many datagrams the kernel took, and the pace achieved."""
    sent = send_udp(tap_ns, SINK_PORT, count, size, rate)
    return sent["sent"], (sent["sent"] + sent["failed"]) / sent["seconds"]


@pytest.mark.kvm
@pytest.mark.parametrize("io", IO_MODES)
def test_udp_sink_counts_exactly_what_was_sent(kvm, tap_ns, guest_app, io):
    count, size, rate = 3000, 1000, 1500
    guest = guest_app("udp-sink", f"--port={SINK_PORT}", f"--count={count}", "--seconds=30", io=io)
    assert guest.ready.startswith(f"ready: udp-sink ip={tap_ns.guest_ip}/24 port={SINK_PORT}")
    sent, achieved = send_from_ns(tap_ns, count, size, rate)
    assert sent == count
    status, lines = guest.finish(timeout=20)
    assert status == 0
    result = summary(lines)
    assert (result["rx_packets"], result["rx_bytes"]) == (count, count * size)
    # The sender resolved us by ARP (we answered), and nothing else was counted.
    assert result["arp_replies"] >= 1
    # ~2 s of traffic: the sink's rate is the rate the sender achieved (a loaded host may lag
    # behind the asked rate), and per-second lines carry growing totals.
    assert 0.8 * achieved <= result["pps"] <= 1.2 * achieved, (achieved, result)
    ticks = [obj for obj in json_lines(lines) if "t" in obj]
    assert [t["t"] for t in ticks] == list(range(1, len(ticks) + 1)) and len(ticks) >= 1
    totals = [t["rx_packets"] for t in ticks]
    assert totals == sorted(totals) and totals[-1] <= count
    print(f"udp-sink io={io} at {rate} pps offered: {result}")


@pytest.mark.kvm
def test_udp_sink_stops_after_its_window(kvm, tap_ns, guest_app):
    guest = guest_app("udp-sink", "--seconds=1", io="hypercall")
    # Not a wait for an event: 1.2 s of silence, longer than the window, proves that the window opens at the
    # first datagram and not at start.
    time.sleep(1.2)
    _, achieved = send_from_ns(tap_ns, 2500, 100, 1000)  # 2.5 s of traffic, 1 s of it counted
    status, lines = guest.finish(timeout=10)
    assert status == 0
    result = summary(lines)
    assert result["seconds_x1000"] == 1000
    # About 1 s of the stream: not 0 (a window from start would have closed before the first
    # datagram) nor all 2500. Loose bounds: a Python sender's pacing jitters under load.
    assert 0.7 * achieved <= result["rx_packets"] <= 1.3 * achieved < 2000, (achieved, result)


FAR_IP = "10.99.0.5"  # off the TAP's subnet: reached through --gw


@pytest.mark.kvm
@pytest.mark.parametrize("size,rate,count,routed,io", [
    *[(200, 2000, 2000, False, io) for io in IO_MODES],
    *[(1258, "max", 20000, False, io) for io in IO_MODES],
    (8, 500, 300, True, "hypercall"),
])
def test_udp_source_delivers_what_it_reports(kvm, tap_ns, guest_app, udp_receiver, size, rate, count, routed, io):
    args = [f"--size={size}", f"--rate={rate}", f"--count={count}", "--port=4444"]
    if routed:
        # The namespace owns FAR_IP on lo, so frames sent to the gateway's MAC for it are delivered locally.
        subprocess.run(["ip", "-n", tap_ns.netns, "addr", "add", f"{FAR_IP}/32", "dev", "lo"], check=True)
        dst_ip, hop = FAR_IP, tap_ns.host_ip
        args.append(f"--gw={tap_ns.host_ip}")
    else:
        dst_ip = hop = tap_ns.host_ip
    args.append(f"--dst={dst_ip}:{RECV_PORT}")
    receiver = udp_receiver(dst_ip, RECV_PORT)
    guest = guest_app("udp-source", *args, io=io)
    assert guest.ready.startswith(f"ready: udp-source dst={dst_ip}:{RECV_PORT} via={hop} size={size}")
    status, lines = guest.finish(timeout=60)
    got = receiver.result()
    assert status == 0, lines
    sent = summary(lines)
    assert sent["tx_packets"] == count and sent["tx_bytes"] == count * size and sent["tx_errors"] == 0
    assert (got["packets"], got["bytes"]) == (sent["tx_packets"], sent["tx_bytes"])
    assert got["in_order"] and got["sources"] == [f"{tap_ns.guest_ip}:4444"]
    if rate != "max":
        # Never faster than asked; slower only by what a loaded 2-core host costs (each paced
        # send is an exit or two, ~10-100 us each under PVM), as pacing catches up when it can.
        assert 0.7 * rate <= sent["pps"] <= 1.05 * rate, sent
    print(f"udp-source io={io} size={size} rate={rate} routed={routed}: {sent}")
