"""test_tools: the host tools udpgen and tapread deliver and count real packets, pace as asked and reject bad arguments."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from framework.netns import in_ns, quiet_namespace, static_neighbour, tap_tx_dropped
from framework.waits import LineReader
from testbed import paths

FAR_IP = "10.77.0.2"  # no one owns it: a static neighbour sends its frames into the TAP
FAR_MAC = "02:00:00:77:00:02"
PORT = 5000

def tool(name: str) -> str:
    return str(paths.tool_path(name))


def last_json(text: str) -> dict:
    lines = [line for line in text.splitlines() if line.startswith("{")]
    assert lines, f"no JSON line in output: {text!r}"
    return json.loads(lines[-1])


def udpgen(netns: str, *args: str) -> dict:
    done = subprocess.run(in_ns(netns, tool("udpgen"), "--json", *args),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return last_json(done.stdout)


def start_receiver(udp_receiver, expected: int):
    """Counts datagrams on 127.0.0.1:PORT in the namespace: up to 10 more than expected (so extras show), until
    3 s pass without one."""
    return udp_receiver("127.0.0.1", PORT, idle=3.0, first_wait=3.0, stop_after=expected + 10)


@pytest.mark.root
def test_udpgen_sends_exact_count_at_rate(tap_ns, udp_receiver):
    count, rate = 1000, 2000
    receiver = start_receiver(udp_receiver, count)
    sent = udpgen(tap_ns.netns, f"--dst=127.0.0.1:{PORT}", "--size=200", f"--rate={rate}",
                  f"--count={count}", "--batch=16")
    got = receiver.result(timeout=30)
    assert (sent["sent_packets"], sent["errors"]) == (count, 0)
    assert sent["sent_bytes"] == count * 200
    assert got == {**got, "packets": count, "in_order": True, "sizes": [200]}
    # Datagram k leaves at k/rate: the last one at (count-1)/rate, never earlier.
    ideal = (count - 1) / rate
    # Never early; late only by scheduling noise (a stalled sender catches up).
    assert 0.98 * ideal <= sent["seconds"] <= 2 * ideal
    assert 0.9 * ideal <= got["span"] <= 2 * ideal  # paced at the receiver too, not just on our clock


@pytest.mark.root
def test_udpgen_gso_burst_arrives_as_numbered_datagrams(tap_ns, udp_receiver):
    # 1000 = 62 full GSO messages of 16 + one of 8: the kernel splits them into datagrams again.
    receiver = start_receiver(udp_receiver, 1000)
    sent = udpgen(tap_ns.netns, f"--dst=127.0.0.1:{PORT}", "--size=200", "--count=1000", "--gso=16",
                  "--batch=128")
    got = receiver.result(timeout=30)
    assert (sent["sent_packets"], sent["errors"], sent["gso"]) == (1000, 0, 16)
    assert got == {**got, "packets": 1000, "in_order": True, "sizes": [200]}


@pytest.mark.root
def test_udpgen_duration_and_bitrate(tap_ns, udp_receiver):
    # 10.4 Mbit/s of 1300-byte frames is 1000 packets/s.
    receiver = start_receiver(udp_receiver, 600)
    sent = udpgen(tap_ns.netns, f"--dst=127.0.0.1:{PORT}", "--rate=10.4mbit", "--seconds=0.5")
    got = receiver.result(timeout=30)
    assert sent["rate_pps"] == pytest.approx(1000)
    assert sent["frame_bytes"] == 1300
    # A stall across the deadline is not made up afterwards, hence the lower slack.
    assert 0.8 * 500 <= sent["sent_packets"] <= 501
    assert 0.5 <= sent["seconds"] <= 0.75
    assert got["packets"] == sent["sent_packets"]


@pytest.mark.root
def test_udpgen_counts_send_errors_without_failing(tap_ns):
    # Nobody listens: each ICMP port-unreachable makes the next send fail with ECONNREFUSED.
    sent = udpgen(tap_ns.netns, f"--dst=127.0.0.1:{PORT + 1}", "--rate=1000", "--count=50")
    assert sent["sent_packets"] == 50
    assert sent["errors"] > 0
    assert sent["last_error"]


def _quiet_tap_with_neighbour(tap_ns) -> None:
    """No IPv6 chatter on the TAP, the far address resolved statically (no ARP), and a TAP
    queue deep enough (0.5 s at 20k frames/s) that a reader descheduled on this shared
    machine loses nothing: these tests count exactly, speed is the bench's business."""
    from pyroute2 import NetNS

    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, FAR_MAC, ip=FAR_IP)
    with NetNS(tap_ns.netns) as ns:
        ns.link("set", index=ns.link_lookup(ifname=tap_ns.tap)[0], txqlen=10000)


def start_tapread(tap_ns, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen([tool("tapread"), f"--tap={tap_ns.tap}", f"--netns={tap_ns.netns}",
                             "--json", *args], stdout=subprocess.PIPE, text=True)
    proc.output = LineReader(proc.stdout)
    proc.output.wait_line("ready: tapread", 10, "tapread to open the TAP")
    return proc


def finish(proc: subprocess.Popen) -> dict:
    proc.wait(timeout=30)
    return last_json("\n".join(proc.output.rest()))


@pytest.mark.root
@pytest.mark.parametrize("gso", [1, 16])
def test_tapread_counts_exact_frames_from_udpgen(tap_ns, gso):
    _quiet_tap_with_neighbour(tap_ns)
    count = 3000
    reader = start_tapread(tap_ns, f"--count={count}", "--seconds=20")
    sent = udpgen(tap_ns.netns, f"--dst={FAR_IP}:{PORT}", f"--count={count}", "--rate=20000", f"--gso={gso}")
    got = finish(reader)
    assert reader.returncode == 0
    assert sent["sent_packets"] == count
    # tapread must count exactly what reached the TAP; on a loaded machine the kernel may still drop a few
    # frames at the TAP's queue while the reader is descheduled, and counts them as the TAP's tx_dropped.
    arrived = count - tap_tx_dropped(tap_ns)
    assert arrived > count * 0.9, f"the kernel dropped {count - arrived} of {count} frames at the TAP"
    assert (got["rx_packets"], got["udp_packets"]) == (arrived, arrived)
    assert got["rx_bytes"] == arrived * 1300  # 1300-byte frames by default, as in the original shmstream measurement
    if arrived == count:
        assert got["wall_seconds"] < 20  # stopped on the count, not on the time limit


@pytest.mark.root
def test_tapread_stops_when_idle_and_sees_nothing_extra(tap_ns):
    _quiet_tap_with_neighbour(tap_ns)
    reader = start_tapread(tap_ns, "--idle=0.5", "--seconds=20")
    sent = udpgen(tap_ns.netns, f"--dst={FAR_IP}:{PORT}", "--count=500", "--size=64", "--rate=5000")
    got = finish(reader)
    assert sent["sent_packets"] == 500
    assert (got["rx_packets"], got["udp_packets"], got["rx_bytes"]) == (500, 500, 500 * (64 + 42))
    assert got["seconds"] == pytest.approx(499 / 5000, rel=0.5)


@pytest.mark.root
def test_tapread_refuses_a_busy_tap(tap_ns):
    first = start_tapread(tap_ns, "--seconds=10")
    try:
        second = subprocess.run([tool("tapread"), f"--tap={tap_ns.tap}", f"--netns={tap_ns.netns}",
                                 "--count=1"], capture_output=True, text=True, timeout=10)
    finally:
        first.terminate()
        first.wait(timeout=10)
    assert second.returncode == 1
    assert second.stderr == f"tapread: --tap={tap_ns.tap}: busy (another process has it open)\n"


BAD_ARGS = [
    ("udpgen", ["--count=1"], "--dst=IP:PORT is required"),
    ("udpgen", ["--dst=10.0.0.1:80"], "one of --seconds=S or --count=N is required"),
    ("udpgen", ["--dst=10.0.0.1", "--count=1"], "is not IPv4:PORT"),
    ("udpgen", ["--dst=10.0.0.300:80", "--count=1"], "is not an IPv4 address"),
    ("udpgen", ["--dst=10.0.0.1:0", "--count=1"], "out of range"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--size=70000"], "out of range"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--rate=fast"], "is not a rate"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--rate=5mbyte"], "unknown unit"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--batch=0"], "out of range"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--gso=65"], "out of range"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--gso=64"], "exceeds one UDP datagram"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--batch=2000"], "more than 1024 messages"),
    ("udpgen", ["--dst=10.0.0.1:80", "--seconds=-1"], "not a positive number of seconds"),
    ("udpgen", ["--dst=10.0.0.1:80", "--count=1", "--bogus"], "unknown argument '--bogus'"),
    ("tapread", ["--count=1"], "--tap=IF is required"),
    ("tapread", ["--tap=tap0"], "one of --seconds=S, --count=N or --idle=S is required"),
    ("tapread", ["--tap=averyveryverylongname", "--count=1"], "is not an interface name"),
    ("tapread", ["--tap=tap0", "--count=abc"], "is not a non-negative integer"),
    ("tapread", ["--tap=tap0", "--count=1", "--netns=a/b"], "is not a namespace name"),
]


@pytest.mark.parametrize("name,args,message", BAD_ARGS)
def test_bad_arguments_give_one_line_and_exit_2(name, args, message):
    done = subprocess.run([tool(name), *args], capture_output=True, text=True, timeout=10)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"{name}: ") and done.stderr.count("\n") == 1
    assert message in done.stderr


@pytest.mark.root
def test_udpgen_stops_on_sigterm_with_a_summary(tap_ns):
    proc = subprocess.Popen(in_ns(tap_ns.netns, tool("udpgen"), f"--dst=127.0.0.1:{PORT}", "--rate=200",
                                  "--seconds=30", "--json"), stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)  # not a wait for an event: half a second of sending at 200/s, then the signal mid-run
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    summary = last_json(out)
    assert proc.returncode == 0
    assert summary["seconds"] < 5
    assert 50 <= summary["sent_packets"] + summary["errors"] <= 1000


def test_tapread_missing_interface_is_a_runtime_error():
    done = subprocess.run([tool("tapread"), "--tap=tbnosuch0", "--count=1"],
                          capture_output=True, text=True, timeout=10)
    assert (done.returncode, done.stderr) == (1, "tapread: --tap=tbnosuch0: no such interface\n")


BENCH = Path(__file__).resolve().parents[2] / "ci" / "bench"


def run_bench(*args: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, str(BENCH), *args, f"--json={out}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return {v["name"]: v for v in json.loads(out.read_text())["variants"]}


@pytest.mark.root
def test_bench_ceiling_counts_every_frame_the_tap_delivered(tmp_path):
    rows = run_bench("udp-rx", "--modes=", "--seconds=0.5", "--repeats=1", out=tmp_path / "rx.json")
    ceiling = rows["ceiling"]["samples"][0]
    assert ceiling["rx_packets"] > 1000
    assert ceiling["lost_after_tap"] == 0  # tapread read exactly what the kernel's TAP counted
    assert ceiling["ratio_to_ceiling"] == 1.0


@pytest.mark.kvm
def test_bench_hypercall_mode_row(kvm, tmp_path):
    rows = run_bench("udp-rx", "--modes=hypercall", "--seconds=1", "--repeats=1", "--ping=20",
                     "--light=0.005", out=tmp_path / "rx.json")
    row = rows["hypercall"]["samples"][0]
    assert row["rx_packets"] > 100
    assert row["user_exits_per_packet"] >= 1.0  # one NET_READ hypercall per frame, at least
    assert row["lost_after_tap"] == 0  # every frame the TAP handed the monitor reached the guest
    assert row["ping_loss_pct"] == 0 and row["ping_p50_us"] <= row["ping_p99_us"]
    assert 0 < row["ratio_to_ceiling"] < 1
