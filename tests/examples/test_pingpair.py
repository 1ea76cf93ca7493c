"""Example: a netns host pings a ping-serve unikernel, once per network IO mode the monitor supports."""
import pytest


@pytest.mark.testbed_io_modes
def test_guest_answers_ping(testbed_lab, io_mode):
    with testbed_lab("../../topologies/pingpair.yaml", set={"nodes.guest.io": io_mode}) as lab:
        result = lab.ping("host", "guest", count=50, interval=0.005)
        assert result.loss_percent == 0 and result.received >= 50, lab.console("guest")
        assert lab.check({"ping": {"from": "host", "to": "guest", "count": 20, "max_loss": 0}}).passed
    stats = lab.stats("guest")  # the monitor's final figures, written when it stopped
    assert stats["nics"], stats
