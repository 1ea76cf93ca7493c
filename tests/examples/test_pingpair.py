"""Example: a netns host pings a ping-serve unikernel, once per network IO mode the monitor supports."""
import pytest

from testbed.run.iputils import parse

ECHOES = 50


@pytest.mark.testbed_io_modes
def test_guest_answers_ping(testbed_lab, io_mode):
    with testbed_lab("../../topologies/pingpair.yaml", set={"nodes.guest.io": io_mode}) as lab:
        address = lab.target_address("guest", towards="host")
        # With -w, iputils keeps waiting (and sending) until ECHOES replies came or 10 s passed: every echo answered,
        # however slowly. Without it (Lab.ping), it waits only max(2 x the largest RTT, the interval) after the last
        # echo, and a poll-mode reply on a loaded 2-core machine came later than that.
        done = lab.exec("host", ["ping", "-n", "-c", str(ECHOES), "-i", "0.02", "-w", "10", address], timeout=30)
        result = parse(done.stdout, "host", address, ECHOES, done.returncode)
        assert result.received >= ECHOES, (done.stdout[-2000:], lab.console("guest"))
        assert lab.console("guest").startswith("ready: ping-serve")
    stats = lab.stats("guest")  # the monitor's final figures, written when it stopped
    assert stats["vm_exits"] > 0 and stats["nics"], stats
