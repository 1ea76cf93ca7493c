"""test_shm_write_kick: a frame sent with solo5_net_write leaves at once, even when the guest then computes without touching its NIC or yielding — the runtime's deferred kicks (for flush batches) must not strand it."""
from __future__ import annotations

import pytest

from framework.netns import quiet_namespace
from framework.shmstream import RECV_PORT

COMPUTE_SECONDS = 6
# Well under the compute time: a stranded frame would arrive only when the guest exits, after COMPUTE_SECONDS.
ARRIVAL_LIMIT = 3.0


@pytest.mark.kvm
@pytest.mark.parametrize("mode", ["hypercall", "event", "hybrid"])
def test_a_written_frame_leaves_while_the_guest_computes(kvm, tap_ns, monitor, udp_receiver, mode):
    quiet_namespace(tap_ns)  # no IPv6 chatter: a frame arriving would wake the IO thread and hide a stranded one
    receiver = udp_receiver(stop_after=1, first_wait=30)
    mon = monitor("write_then_compute", f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}",
                  f"--dst={tap_ns.host_ip}:{RECV_PORT}", f"--seconds={COMPUTE_SECONDS}", io=mode, tap_ns=tap_ns)
    mon.wait_line("sent")
    got = receiver.result(timeout=ARRIVAL_LIMIT)
    assert got["packets"] == 1, got
    assert "done" not in mon.seen, f"the datagram came only after the guest finished computing: {mon.seen}"
    status, lines = mon.finish(timeout=COMPUTE_SECONDS + 30)
    assert status == 0, lines
