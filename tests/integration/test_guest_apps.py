"""test_guest_apps: the built-in guest apps (hello, ping-serve, udp-sink, udp-source) on the real monitor, with real packets through a TAP."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from guest_helpers import ConsoleProcess, in_ns, ping_guest, run_against_receiver
from testbed import paths

SINK_PORT, RECV_PORT = 5000, 6000
# Every I/O mode runs the same guest binary: the network tests run in each.
IO_MODES = ["hypercall", "poll", "event", "hybrid"]

# Runs inside the namespace: sends COUNT datagrams of SIZE bytes to DST:PORT at RATE per second,
# each starting with a big-endian sequence number; prints "SENT FAILED SECONDS". Non-blocking: once the
# guest has stopped, the TAP has no reader and a blocking send would stall on a full send buffer.
SENDER = r"""
import socket, struct, sys, time
dst, port, count, size, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
pad = bytes(size - 8)
start, failed = time.monotonic(), 0
for seq in range(count):
    delay = start + seq / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    try:
        s.sendto(struct.pack(">Q", seq) + pad, (dst, port))
    except OSError:
        failed += 1
print(count - failed, failed, time.monotonic() - start, flush=True)
"""

# Runs inside the namespace: receives on BIND:PORT until IDLE seconds pass without a datagram,
# then prints one JSON line with what arrived.
RECEIVER = r"""
import json, socket, struct, sys
bind, port, idle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# SO_RCVBUFFORCE (33, not exported by Python): as root it passes net.core.rmem_max,
# so a guest sending at full speed cannot overrun the socket.
s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)
s.bind((bind, port))
print("listening", flush=True)
s.settimeout(30.0)  # the guest still has to boot and resolve us
seqs, nbytes, sources = [], 0, set()
try:
    while True:
        data, addr = s.recvfrom(65536)
        seqs.append(struct.unpack(">Q", data[:8])[0] if len(data) >= 8 else -1)
        nbytes += len(data)
        sources.add("%s:%d" % addr)
        s.settimeout(idle)
except socket.timeout:
    pass
print(json.dumps({"packets": len(seqs), "bytes": nbytes, "in_order": seqs == list(range(len(seqs))),
                  "sources": sorted(sources)}), flush=True)
"""


class Guest(ConsoleProcess):
    """One monitor process running a guest image; its console lines are collected by a thread."""

    def __init__(self, image: str, *args: str, tap_ns=None, io: str = "hypercall"):
        cmd = [str(paths.monitor_path()), f"--io={io}"]
        if tap_ns is not None:
            cmd.append(f"--net:service0={tap_ns.tap}@{tap_ns.netns}")
        cmd += [str(paths.images()[image]), *args]
        super().__init__(cmd)

    def finish(self, timeout: float = 30.0) -> tuple[int, list[str]]:
        """Waits for the guest to exit by itself; returns its status and every console line."""
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self._collect()
            raise AssertionError(f"guest still running after {timeout}s; console: {self.seen}") from None
        self._collect()
        return status, self.seen

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def json_lines(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines if line.startswith("{")]


def summary(lines: list[str]) -> dict:
    found = [obj for obj in json_lines(lines) if obj.get("summary") is True]
    assert len(found) == 1, f"expected one summary line in {lines}"
    return found[0]


def guest_ip(tap_ns) -> str:
    return f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}"


@pytest.mark.kvm
def test_hello_prints_its_arguments(kvm):
    guest = Guest("hello", "arg1", "two", "--three=3")
    try:
        status, lines = guest.finish(timeout=20)
    finally:
        guest.kill()
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
def test_bad_arguments_exit_2_with_a_message(kvm, tap_ns, image, args, message):
    guest = Guest(image, *args, tap_ns=tap_ns)
    try:
        status, lines = guest.finish(timeout=20)
    finally:
        guest.kill()
    assert status == 2, lines
    assert message in lines
    assert any(line.startswith(f"usage: {image} ") for line in lines)
    assert not any(line.startswith("ready:") for line in lines)


@pytest.mark.kvm
@pytest.mark.parametrize("io", IO_MODES)
def test_ping_serve_answers_100_pings(kvm, tap_ns, io):
    guest = Guest("ping-serve", guest_ip(tap_ns), tap_ns=tap_ns, io=io)
    try:
        ready = guest.wait_line("ready:")
        assert ready.startswith(f"ready: ping-serve ip={tap_ns.guest_ip}/{tap_ns.prefix} mac=")
        ping = ping_guest(tap_ns, 100, wait=1)
    finally:
        guest.kill()
    assert "100 packets transmitted, 100 received" in ping.stdout, ping.stdout + ping.stderr
    assert ping.returncode == 0
    rtt = re.search(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)", ping.stdout)
    print(f"ping-serve io={io} RTT min/avg/max ms: {rtt.groups()}")


@pytest.mark.kvm
def test_ping_serve_stops_after_count(kvm, tap_ns):
    guest = Guest("ping-serve", guest_ip(tap_ns), "--count=5", "--seconds=30", tap_ns=tap_ns)
    try:
        guest.wait_line("ready:")
        ping = ping_guest(tap_ns, 5, interval=0.05, wait=1, timeout=30)
        status, lines = guest.finish(timeout=10)
    finally:
        guest.kill()
    assert "5 received" in ping.stdout
    assert status == 0
    assert summary(lines)["echo_replies"] == 5


def send_from_ns(tap_ns, count: int, size: int, rate: int) -> tuple[int, float]:
    """Sends from a socket in the namespace; returns how many datagrams the kernel took, and the pace achieved."""
    sender = subprocess.run(in_ns(tap_ns.netns, sys.executable, "-c", SENDER, tap_ns.guest_ip, str(SINK_PORT),
                                  str(count), str(size), str(rate)),
                            capture_output=True, text=True, timeout=120)
    assert sender.returncode == 0, sender.stderr
    sent, failed, seconds = sender.stdout.split()
    return int(sent), (int(sent) + int(failed)) / float(seconds)


@pytest.mark.kvm
@pytest.mark.parametrize("io", IO_MODES)
def test_udp_sink_counts_exactly_what_was_sent(kvm, tap_ns, io):
    count, size, rate = 3000, 1000, 1500
    guest = Guest("udp-sink", guest_ip(tap_ns), f"--port={SINK_PORT}", f"--count={count}", "--seconds=30",
                  tap_ns=tap_ns, io=io)
    try:
        assert guest.wait_line("ready:").startswith(f"ready: udp-sink ip={tap_ns.guest_ip}/24 port={SINK_PORT}")
        sent, achieved = send_from_ns(tap_ns, count, size, rate)
        assert sent == count
        status, lines = guest.finish(timeout=20)
    finally:
        guest.kill()
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
def test_udp_sink_stops_after_its_window(kvm, tap_ns):
    guest = Guest("udp-sink", guest_ip(tap_ns), "--seconds=1", tap_ns=tap_ns)
    try:
        guest.wait_line("ready:")
        time.sleep(1.2)  # the window opens at the first datagram, not at start
        _, achieved = send_from_ns(tap_ns, 2500, 100, 1000)  # 2.5 s of traffic, 1 s of it counted
        status, lines = guest.finish(timeout=10)
    finally:
        guest.kill()
    assert status == 0
    result = summary(lines)
    assert result["seconds_x1000"] == 1000
    # About 1 s of the stream: not 0 (a window from start would have closed before the first
    # datagram) nor all 2500. Loose bounds: a Python sender's pacing jitters under load.
    assert 0.7 * achieved <= result["rx_packets"] <= 1.3 * achieved < 2000, (achieved, result)


def start_receiver(tap_ns, bind: str) -> subprocess.Popen:
    proc = subprocess.Popen(in_ns(tap_ns.netns, sys.executable, "-c", RECEIVER, bind, str(RECV_PORT), "2"),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "listening"
    return proc


FAR_IP = "10.99.0.5"  # off the TAP's subnet: reached through --gw


@pytest.mark.kvm
@pytest.mark.parametrize("size,rate,count,routed,io", [
    *[(200, 2000, 2000, False, io) for io in IO_MODES],
    *[(1258, "max", 20000, False, io) for io in IO_MODES],
    (8, 500, 300, True, "hypercall"),
])
def test_udp_source_delivers_what_it_reports(kvm, tap_ns, size, rate, count, routed, io):
    args = [guest_ip(tap_ns), f"--size={size}", f"--rate={rate}", f"--count={count}", "--port=4444"]
    if routed:
        # The namespace owns FAR_IP on lo, so frames sent to the gateway's MAC for it are delivered locally.
        subprocess.run(["ip", "-n", tap_ns.netns, "addr", "add", f"{FAR_IP}/32", "dev", "lo"], check=True)
        dst_ip, hop = FAR_IP, tap_ns.host_ip
        args.append(f"--gw={tap_ns.host_ip}")
    else:
        dst_ip = hop = tap_ns.host_ip
    args.append(f"--dst={dst_ip}:{RECV_PORT}")
    def check_ready(guest: Guest) -> None:
        ready = guest.wait_line("ready:")
        assert ready.startswith(f"ready: udp-source dst={dst_ip}:{RECV_PORT} via={hop} size={size}")

    receiver = start_receiver(tap_ns, dst_ip)
    _, status, lines, out = run_against_receiver(
        receiver, lambda: Guest("udp-source", *args, tap_ns=tap_ns, io=io), on_ready=check_ready)
    assert status == 0, lines
    sent = summary(lines)
    got = json.loads(out.strip().splitlines()[-1])
    assert sent["tx_packets"] == count and sent["tx_bytes"] == count * size and sent["tx_errors"] == 0
    assert (got["packets"], got["bytes"]) == (sent["tx_packets"], sent["tx_bytes"])
    assert got["in_order"] and got["sources"] == [f"{tap_ns.guest_ip}:4444"]
    if rate != "max":
        # Never faster than asked; slower only by what a loaded 2-core host costs (each paced
        # send is an exit or two, ~10-100 us each under PVM), as pacing catches up when it can.
        assert 0.7 * rate <= sent["pps"] <= 1.05 * rate, sent
    print(f"udp-source io={io} size={size} rate={rate} routed={routed}: {sent}")
