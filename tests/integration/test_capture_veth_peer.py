"""A captured veth end's sent frames are taken at its peer (no packet tap in the sender): both directions of a two-way
flood land in the end's one pcapng in time order, each with its direction flag, every frame counted, ns timestamps."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import dpkt

from framework import lab as framework_lab
from framework import pcapng
from testbed import paths
from testbed.apply import nsenter
from testbed.lab import Lab

PORT = 9999
FRAMES = 3000
PINGS = 20

VETH = """
name: capveth2
nodes:
  a: {kind: netns}
  b: {kind: netns}
links:
  - endpoints: [a:eth0, b:eth0]
    subnet: 10.0.1.0/30
    capture: {at: a:eth0, files: 1}
"""

# A bound socket that never reads: the flood is accepted and dropped there, with no port-unreachable replies.
SINK = f"import socket, time; s = socket.socket(2, 2); s.bind(('0.0.0.0', {PORT})); print(flush=True); time.sleep(60)"


def flood(lab: Lab, src: str, dst: str, size: int) -> int:
    """Sends FRAMES datagrams of `size` payload bytes from src to dst; how many the kernel took."""
    argv = [str(paths.tool_path("udpgen")), f"--dst={lab.target_address(dst, towards=src)}:{PORT}",
            f"--size={size}", f"--count={FRAMES}", "--rate=30k", "--json"]
    done = lab.exec(src, argv, timeout=30)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["errors"] == 0, summary
    return summary["sent_packets"]


def udp_frames(capture: pcapng.Capture) -> dict[tuple[str, str | None], list[pcapng.Frame]]:
    """The flood's frames by (source address, direction flag)."""
    found: dict[tuple[str, str | None], list[pcapng.Frame]] = {}
    for frame in capture.frames:
        packet = dpkt.ethernet.Ethernet(frame.data).data
        if isinstance(packet, dpkt.ip.IP) and isinstance(packet.data, dpkt.udp.UDP) and packet.data.dport == PORT:
            found.setdefault((dpkt.utils.inet_to_str(packet.src), frame.direction), []).append(frame)
    return found


def test_a_veth_end_holds_both_directions_of_a_two_way_flood(root, topology_file, run_prefix, tmp_path):
    path = topology_file("capveth2", VETH)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        (argv,) = [p["argv"] for key, p in lab.run.read()["processes"].items() if key.startswith("capture:")]
        assert f"--peer-netns={lab.plan.node('b').namespace}" in argv and "--peer-if=eth0" in argv
        sinks = [nsenter.popen(lab.plan.node(n).namespace, [sys.executable, "-c", SINK], stdout=-1) for n in "ab"]
        try:
            for sink in sinks:
                sink.stdout.readline()  # bound
            with ThreadPoolExecutor(2) as pool:
                out = pool.submit(flood, lab, "a", "b", 100)
                back = pool.submit(flood, lab, "b", "a", 200)
                sent_out, sent_back = out.result(), back.result()
        finally:
            for sink in sinks:
                sink.kill()
                sink.wait()
        run_id = lab.run_id
    (file,) = sorted((tmp_path / "captures" / run_id).glob("*.pcapng"))
    capture = pcapng.read(file)
    assert capture.ifname == "a:eth0" and capture.tsresol == 9
    found = udp_frames(capture)
    assert sorted(found) == [("10.0.1.1", "out"), ("10.0.1.2", "in")]
    assert (len(found["10.0.1.1", "out"]), len(found["10.0.1.2", "in"])) == (sent_out, sent_back) == (FRAMES, FRAMES)
    assert {f.length for f in found["10.0.1.1", "out"]} == {14 + 20 + 8 + 100}
    assert {f.length for f in found["10.0.1.2", "in"]} == {14 + 20 + 8 + 200}
    stamps = [f.ts_ns for f in capture.frames]
    assert stamps == sorted(stamps), "the two sockets' frames are not merged in time order"
    assert any(f.ts_ns % 1000 for f in capture.frames), "timestamps in whole µs: not ns"


def test_testbed_capture_takes_a_veth_ends_sent_frames_at_its_peer(root, topology_file, run_prefix, tmp_path):
    path = topology_file("capveth3", VETH.replace("    capture: {at: a:eth0, files: 1}\n", ""))
    out = tmp_path / "a.pcapng"
    with Lab.up(path, name_prefix=run_prefix) as lab:
        stream = framework_lab.start_cli("capture", lab.run_id, "a:eth0", "-w", str(out),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            argv = _recorded_argv(lab, "capture:a:eth0:")
            assert f"--peer-netns={lab.plan.node('b').namespace}" in argv and "--peer-if=eth0" in argv
            _wait_for_header(out)  # the file is opened once both sockets are bound
            assert lab.ping("a", "b", count=PINGS, interval=0.002).received == PINGS
            time.sleep(0.2)  # past the ring's block timeout: the last echoes are handed over before the stop
        finally:
            stream.send_signal(signal.SIGINT)
            _, err = stream.communicate(timeout=30)
        assert stream.returncode == 0, err
    capture = pcapng.read(out)
    assert capture.echoes(src="10.0.1.1") == (PINGS, PINGS)
    requests = [f for f in capture.frames if f.data[12:14] == b"\x08\x00" and f.data[34] == 8]
    replies = [f for f in capture.frames if f.data[12:14] == b"\x08\x00" and f.data[34] == 0]
    assert {f.direction for f in requests} == {"out"} and {f.direction for f in replies} == {"in"}


def _recorded_argv(lab: Lab, prefix: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = [r for key, r in lab.run.read()["processes"].items() if key.startswith(prefix)]
        if records:
            return records[0]["argv"]
        time.sleep(0.05)
    raise AssertionError(f"no {prefix} process recorded within {timeout} s")


def _wait_for_header(path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size > 0):
        assert time.monotonic() < deadline, f"{path}: no pcapng header within {timeout} s"
        time.sleep(0.02)


def test_a_peer_without_the_ends_namespace_is_refused_in_one_line():
    # Without --netns the end's socket would be opened in the peer's namespace, which tb-capture enters first.
    done = subprocess.run([str(paths.tool_path("tb-capture")), "--if=eth0", "-w", "-", "--peer-netns=nowhere",
                           "--peer-if=eth0"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "tb-capture: --peer-if needs --netns (the namespace of --if)"


def test_a_missing_peer_namespace_is_named_by_its_option():
    done = subprocess.run([str(paths.tool_path("tb-capture")), "--netns=nowhere-end", "--if=eth0", "-w", "-",
                           "--peer-netns=nowhere-peer", "--peer-if=eth0"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == "tb-capture: --peer-netns: /run/netns/nowhere-peer: No such file or directory"
