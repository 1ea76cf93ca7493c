"""A capture writer killed with SIGKILL leaves the blocks it reserved ahead of its frames as zeros: `testbed down`
cuts every capture file the run recorded to its last whole block, so it parses to its end with every frame seen."""
from __future__ import annotations

import io
import signal
import time

import dpkt
import pytest

from framework import lab as framework_lab
from framework import pcapng
from testbed.apply.procs import ProcessId
from testbed.lab import Lab

PINGS = 20

GUEST = """
name: captrim
nodes:
  host:  {kind: netns}
  guest: {kind: unikernel, image: ping-serve, io: event}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
    capture: {files: 3, size: 1MiB}
"""

VETH = """
name: captrimv
nodes:
  a: {kind: netns}
  b: {kind: netns}
links:
  - endpoints: [a:eth0, b:eth0]
    subnet: 10.0.1.0/30
"""


def dpkt_frames(path) -> int:
    """dpkt's own reader, over the whole file: a block cut short raises here."""
    return len(list(dpkt.pcapng.Reader(io.BytesIO(path.read_bytes()))))


def test_a_killed_monitors_ring_is_trimmed_by_down(kvm, topology_file, run_prefix, tmp_path):
    path = topology_file("captrim", GUEST)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        result = lab.ping("host", "guest", count=PINGS, interval=0.005)
        assert result.received >= PINGS // 2, result
        monitor = ProcessId.from_json(lab.processes()["guest"])
        assert monitor.signal(signal.SIGKILL) and monitor.wait_gone(5.0)
        files = sorted((tmp_path / "captures" / lab.run_id).glob("*.pcapng"))
        assert [f.name for f in files] == [f"guest-service0.{i}.pcapng" for i in range(3)]
        with pytest.raises(ValueError, match="damaged block"):  # the kill left the file's reserved zeros
            pcapng.read(files[0])
        framework_lab.run_cli("down", lab.run_id, check=True)
    captures = [pcapng.read(f) for f in files]  # walks every block to the file's end
    frames = [frame for c in captures for frame in c.frames]
    assert sum(dpkt_frames(f) for f in files) == len(frames)
    requests, replies = pcapng.Capture("guest:service0", 9, frames).echoes(src="10.0.0.1")
    assert requests == replies and result.received <= replies <= PINGS


def test_a_runtime_capture_down_kills_is_trimmed(root, topology_file, run_prefix, tmp_path):
    path = topology_file("captrimv", VETH)
    out = tmp_path / "runtime.pcapng"
    with Lab.up(path, name_prefix=run_prefix) as lab:
        runtime = framework_lab.start_cli("capture", lab.run_id, "b:eth0", "-w", str(out), "--size", "1048576")
        _wait_capturing(runtime)
        result = lab.ping("a", "b", count=PINGS, interval=0.002)
        time.sleep(0.5)  # the kernel hands the tool its frames within 20 ms, it writes them within 60 ms more
        framework_lab.run_cli("down", lab.run_id, check=True)  # kills the tool with SIGKILL
        runtime.wait(timeout=10)
    capture = pcapng.read(out)
    assert dpkt_frames(out) == len(capture.frames)
    assert capture.echoes(src="10.0.1.1") == (result.received, result.received)


def _wait_capturing(runtime) -> None:
    """The tool says when its packet socket is bound (on stderr, which the CLI passes through)."""
    for line in runtime.stderr:
        if "capturing on" in line:
            return
    raise AssertionError(f"testbed capture ended before capturing: exit {runtime.wait()}")
