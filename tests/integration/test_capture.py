"""Packet capture end to end: `capture:` in a topology (a veth by tb-capture, a guest NIC by its monitor in every IO
mode), `testbed capture` streaming pcapng on stdout, and every capture process gone when the lab is."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from framework import lab as framework_lab
from framework import pcapng
from testbed.apply.procs import ProcessId
from testbed.lab import Lab

PINGS = 20

VETH = """
name: capveth
nodes:
  a: {kind: netns}
  b: {kind: netns}
links:
  - endpoints: [a:eth0, b:eth0]
    subnet: 10.0.1.0/30
    capture: {at: a:eth0, files: 1}
"""

GUEST = """
name: capguest
nodes:
  host:  {kind: netns}
  guest: {kind: unikernel, image: ping-serve, io: hypercall}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
    capture: true
"""


def capture_files(folder, run_id):
    return sorted((folder / "captures" / run_id).glob("*.pcapng"))


def assert_ns_timestamps(capture: pcapng.Capture) -> None:
    stamps = [frame.ts_ns for frame in capture.frames]
    assert capture.tsresol == 9
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert any(ts % 1000 for ts in stamps)  # nanoseconds, not microseconds scaled up
    assert abs(stamps[-1] / 1e9 - time.time()) < 600  # wall-clock time: Wireshark shows when it happened


def test_a_veth_end_is_captured_with_every_echo(root, topology_file, run_prefix, tmp_path):
    path = topology_file("capveth", VETH)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert (lab.ping("a", "b", count=PINGS, interval=0.002).received) == PINGS
        run_id = lab.run_id
    files = capture_files(tmp_path, run_id)
    assert [f.name for f in files] == ["a-eth0.pcapng"]
    capture = pcapng.read(files[0])
    assert capture.ifname == "a:eth0"
    assert capture.echoes(src="10.0.1.1") == (PINGS, PINGS)
    requests = [f for f in capture.frames if f.data[12:14] == b"\x08\x00" and f.data[34] == 8]
    assert {f.direction for f in requests} == {"out"}  # a sends them
    assert_ns_timestamps(capture)


@pytest.mark.parametrize("io", ["hypercall", "poll", "event", "hybrid"])
def test_the_monitor_captures_its_nic_in_each_io_mode(kvm, topology_file, run_prefix, tmp_path, io):
    path = topology_file("capguest", GUEST)
    with Lab.up(path, overrides={"nodes.guest.io": io}, name_prefix=run_prefix) as lab:
        result = lab.ping("host", "guest", count=PINGS, interval=0.005)
        assert result.received >= PINGS // 2, result
        run_id = lab.run_id
        files_while_up = capture_files(tmp_path, run_id)
    assert [f.name for f in files_while_up] == [f"guest-service0.{i}.pcapng" for i in range(4)]
    captures = [pcapng.read(f) for f in capture_files(tmp_path, run_id)]
    assert {c.ifname for c in captures} == {"guest:service0"}
    frames = [frame for c in captures for frame in c.frames]
    capture = pcapng.Capture("guest:service0", 9, frames)
    # What reached the guest it answered; what ping saw answered passed the guest (a loaded machine may lose
    # a few on the host's side of the TAP, before the monitor: those the capture cannot hold).
    requests, replies = capture.echoes(src="10.0.0.1")
    assert requests == replies and result.received <= replies <= PINGS
    directions = {(f.data[34], f.direction) for f in frames if f.data[12:14] == b"\x08\x00" and f.data[23] == 1}
    assert directions == {(8, "in"), (0, "out")}  # the guest's view: requests come in, replies go out
    assert_ns_timestamps(capture)


def test_the_monitor_keeps_only_the_snaplen(kvm, topology_file, run_prefix, tmp_path):
    path = topology_file("capguest", GUEST.replace("capture: true", "capture: {snaplen: 64, files: 1}"))
    with Lab.up(path, overrides={"nodes.guest.io": "event"}, name_prefix=run_prefix) as lab:
        assert lab.ping("host", "guest", count=5, interval=0.02, size=200).received == 5
        run_id = lab.run_id
    (file,) = capture_files(tmp_path, run_id)
    echoes = [f for f in pcapng.read(file).frames if f.length == 14 + 20 + 8 + 200]
    assert len(echoes) == 10  # five requests in, five replies out
    assert {len(f.data) for f in echoes} == {64}


def test_testbed_capture_streams_pcapng_while_it_runs(root, topology_file, run_prefix):
    path = topology_file("capveth", VETH.replace("    capture: {at: a:eth0, files: 1}\n", ""))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        stream = framework_lab.start_cli("capture", lab.run_id, "b:eth0", "-w", "-", "-c", "12",
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=False,
                                         bufsize=0)  # unbuffered: communicate() reads the fd itself
        try:
            header = stream.stdout.read(28)  # the section header arrives before any packet: it is a stream
            assert header[:4] == b"\x0a\x0d\x0d\x0a"
            _wait_for_capture_record(lab, "capture:b:eth0:")
            lab.ping("a", "b", count=10, interval=0.002)
            rest, err = stream.communicate(timeout=30)
        finally:
            if stream.poll() is None:
                stream.kill()
                stream.wait()
        assert stream.returncode == 0, err
        capture = pcapng.read(header + rest)
        assert capture.ifname == "b:eth0" and len(capture.frames) == 12
        assert capture.echoes()[0] >= 1  # the ping's first request at least (the rest of 12 may be ARP, IPv6)
        assert not [k for k in lab.processes() if k.startswith("capture:")]  # it withdrew its record


def test_capture_processes_end_with_the_lab(root, topology_file, run_prefix):
    path = topology_file("capveth", VETH)
    lab = Lab.up(path, name_prefix=run_prefix)
    try:
        runtime = framework_lab.start_cli("capture", lab.run_id, "b:eth0", "-w", os.devnull)
        _wait_for_capture_record(lab, "capture:b:eth0:")
        tools = [ProcessId.from_json(record) for key, record in lab.processes().items() if key.startswith("capture:")]
        assert len(tools) == 2 and all(tool.alive() for tool in tools)  # the topology's and the runtime one
    finally:
        lab.down()
    assert runtime.wait(timeout=10) is not None
    assert not any(tool.alive() for tool in tools)


def test_a_runtime_capture_dies_with_its_caller(root, topology_file, run_prefix):
    path = topology_file("capveth", VETH.replace("    capture: {at: a:eth0, files: 1}\n", ""))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        runtime = framework_lab.start_cli("capture", lab.run_id, "a:eth0", "-w", os.devnull)
        record = _wait_for_capture_record(lab, "capture:a:eth0:")
        tool = ProcessId.from_json(record)
        runtime.send_signal(signal.SIGKILL)
        runtime.wait()
        assert tool.wait_gone(5.0)


def _wait_for_capture_record(lab, prefix: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [record for key, record in lab.processes().items() if key.startswith(prefix)]
        if found and ProcessId.from_json(found[0]).alive():
            time.sleep(0.3)  # recorded right after its start: give it the moment to bind its socket
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no running {prefix}* process recorded within {timeout} s")


def test_the_topologys_captures_die_with_the_supervisor(root, topology_file, run_prefix):
    """kill -9 of the process that owns the lab's processes: its captures do not outlive it."""
    path = topology_file("capveth", VETH)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        (record,) = [r for key, r in lab.processes().items() if key.startswith("capture:")]
        tool = ProcessId.from_json(record)
        supervisor = ProcessId.from_json(lab.run.read()["supervisor"])
        assert tool.alive() and supervisor.signal(signal.SIGKILL)
        assert tool.wait_gone(5.0)


def test_a_runtime_ring_stays_within_its_files(root, topology_file, run_prefix, tmp_path):
    path = topology_file("capveth", VETH.replace("    capture: {at: a:eth0, files: 1}\n", ""))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        out = tmp_path / "ring.pcapng"
        runtime = framework_lab.start_cli("capture", lab.run_id, "a:eth0", "-w", str(out), "--size", "8192",
                                          "--files", "3", "--snaplen", "128")
        _wait_for_capture_record(lab, "capture:a:eth0:")
        result = lab.ping("a", "b", count=200, interval=0.001, size=1000)
        runtime.send_signal(signal.SIGINT)
        assert runtime.wait(timeout=10) == 0, runtime.stderr.read()
    files = sorted(tmp_path.glob("ring.*.pcapng"))
    assert [f.name for f in files] == ["ring.0.pcapng", "ring.1.pcapng", "ring.2.pcapng"]
    assert all(f.stat().st_size <= 8192 for f in files)
    frames = [frame for f in files for frame in pcapng.read(f).frames]
    assert all(len(frame.data) <= 128 and frame.length >= 1000 for frame in frames if frame.length > 128)
    assert 0 < len(frames) < 2 * result.transmitted  # the oldest were overwritten


def test_the_monitors_ring_rotates_inside_its_sandbox(kvm, topology_file, run_prefix, tmp_path):
    """Rotating reuses descriptors opened before the seccomp filter (ftruncate, pwrite): the guest keeps running."""
    path = topology_file("capguest", GUEST.replace("capture: true", "capture: {size: 8KiB, files: 3}"))
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert lab.ping("host", "guest", count=100, interval=0.002, size=1000).received >= 90
        assert lab.processes()["guest"]["exit"] is None
        run_id = lab.run_id
    files = capture_files(tmp_path, run_id)
    assert len(files) == 3 and all(0 < f.stat().st_size <= 8192 for f in files)
    assert all(len(pcapng.read(f).frames) > 0 for f in files)  # each file was written: the ring went round
