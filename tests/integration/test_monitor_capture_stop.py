"""test_monitor_capture_stop: a capturing monitor stopped by SIGTERM in the middle of a flood leaves a capture that
parses to the end and holds every frame its NIC counted, in order: the buffered tail reaches the file at exit."""
from __future__ import annotations

import subprocess
import time

import pytest

from framework import pcapng
from framework.netns import in_ns, quiet_namespace, static_neighbour
from framework.shmstream import GUEST_MAC, SINK_PORT
from testbed import paths
from testbed.run.traffic.guest import nic_sum


@pytest.mark.kvm
@pytest.mark.parametrize("mode", ["hypercall", "poll"])
def test_sigterm_mid_flood_leaves_every_counted_frame_in_the_file(kvm, tap_ns, guest_app, tmp_path, mode):
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    path = tmp_path / "nic.pcapng"
    mon = guest_app("udp-sink", f"--port={SINK_PORT}", io=mode, mac=GUEST_MAC, stats=True,
                    flags=(f"--capture:service0={path}",))
    argv = [str(paths.tool_path("udpgen")), f"--dst={tap_ns.guest_ip}:{SINK_PORT}", "--size=1000",
            "--count=200000", "--rate=50k", "--gso=16", "--batch=64", "--json"]
    flood = subprocess.Popen(in_ns(tap_ns.netns, *argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        assert flood.poll() is None, "the flood ended before the monitor was stopped"
        mon.proc.terminate()
        status, lines = mon.finish(timeout=30)
    finally:
        flood.kill()
        flood.wait(timeout=10)
    assert status != 0 and mon.stats_path.exists(), lines
    counted = nic_sum(mon.stats(), "rx_packets")
    capture = pcapng.read(path)  # walks every block to the file's end: a cut block fails here
    inbound = [f for f in capture.frames if f.direction == "in"]
    assert counted > 5000, counted
    assert len(inbound) == counted, (len(inbound), counted, lines[-5:])
    stamps = [f.ts_ns for f in capture.frames]
    assert stamps == sorted(stamps)  # in the order they came
