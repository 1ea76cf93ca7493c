"""test_datapath_wake: wake coalescing has a time bound: after a flood taught the IO thread to wait for many frames,
a slow sender's lone frames still reach the guest (by the clock), in every ring mode; and a flood is delivered whole."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from framework.monitor import summary
from framework.netns import in_ns, ping_guest, quiet_namespace, static_neighbour, tap_tx_dropped
from framework.shmstream import GUEST_MAC, MODES, SINK_PORT
from testbed import paths


def flood(tap_ns, count: int, rate: str = "200k") -> dict:
    argv = [str(paths.tool_path("udpgen")), f"--dst={tap_ns.guest_ip}:{SINK_PORT}", "--size=1000",
            f"--count={count}", f"--rate={rate}", "--gso=16", "--batch=64", "--json"]
    done = subprocess.run(in_ns(tap_ns.netns, *argv), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_a_slow_sender_after_a_flood_is_answered(kvm, tap_ns, guest_app, mode):
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    # A long clock bound and a high ceiling: without the bound, lone pings would wait for frames that never come.
    mon = guest_app("udp-sink", f"--port={SINK_PORT}", io=mode, mac=GUEST_MAC, stats=True,
                    flags=("--shm-wake-frames=256", "--shm-wake-us=2000"))
    sent = flood(tap_ns, 20000)
    ping = ping_guest(tap_ns, 20, interval=0.02, wait=1)
    mon.stop()
    assert "20 packets transmitted, 20 received" in ping.stdout, ping.stdout + ping.stderr
    # Without the clock bound a lone frame waits for the guest's own timeout (its 1 s report tick): round trips of
    # hundreds of ms. With it, 2 ms plus scheduling: the median stays far below 100 ms even on a loaded host.
    rtts = sorted(float(m) for m in re.findall(r"time=([0-9.]+) ms", ping.stdout))
    assert rtts[len(rtts) // 2] < 100, rtts
    nic = mon.stats()["shmstream"]["nics"]["net0"]
    assert sent["sent_packets"] == 20000
    if mode != "poll":  # a polling guest never sleeps: nothing to wake
        assert nic["wakes_by_time"] > 0, nic


@pytest.mark.kvm
@pytest.mark.parametrize("mode", ["event", "hybrid"])
def test_coalesced_wakeups_lose_nothing(kvm, tap_ns, guest_app, mode):
    """Bursts at a rate the guest keeps up with: every datagram counted, every wakeup accounted for by its cause."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    count = 20000
    mon = guest_app("udp-sink", f"--port={SINK_PORT}", f"--count={count}", "--seconds=30", io=mode, mac=GUEST_MAC,
                    stats=True)
    flood(tap_ns, count, rate="40k")
    status, lines = mon.finish(timeout=60)
    stats = mon.stats()
    nic = stats["shmstream"]["nics"]["net0"]
    diag = (nic, tap_tx_dropped(tap_ns))
    assert status == 0, (lines, diag)
    assert summary(lines)["rx_packets"] == count, diag
    assert nic["wakes_by_count"] + nic["wakes_by_time"] == nic["guest_wakeups"], nic
