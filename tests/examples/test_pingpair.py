"""Example: a netns host pings a ping-serve unikernel, once per network IO mode the monitor supports."""
import pytest


@pytest.mark.testbed_io_modes
def test_guest_answers_ping(testbed_lab, io_mode):
    with testbed_lab("../../topologies/pingpair.yaml", set={"nodes.guest.io": io_mode}) as lab:
        result = lab.ping("host", "guest", count=50, interval=0.02)
        assert result.received >= 50, lab.console("guest")  # ping -w sends until 50 replies came (or 10 s passed)
        # max_loss 5: ping -w stops at the 20th reply and counts an echo still in flight then as lost
        assert lab.check({"ping": {"from": "host", "to": "guest", "count": 20, "interval": 0.05, "max_loss": 5}}).passed
    stats = lab.stats("guest")  # the monitor's final figures, written when it stopped
    assert stats["nics"], stats
