"""Example: a netns host pings a ping-serve unikernel, once per network IO mode the monitor supports."""
import pytest


@pytest.mark.testbed_io_modes
def test_guest_answers_ping(testbed_lab, io_mode):
    with testbed_lab("../../topologies/pingpair.yaml", set={"nodes.guest.io": io_mode}) as lab:
        result = lab.ping("host", "guest", count=50, interval=0.02)
        # ping -w keeps sending until 50 replies came (or 10 s passed): every echo answered, however slowly
        assert result.received >= 50, lab.console("guest")
        assert lab.console("guest").startswith("ready: ping-serve")
    stats = lab.stats("guest")  # the monitor's final figures, written when it stopped
    assert stats["vm_exits"] > 0 and stats["nics"], stats
