"""test_datapath_tx: on a vnet TAP the IO thread writes a run of the guest's UDP frames of one flow as one GSO frame;
the host still receives every datagram, once, whole and in order (and without offloads, frame by frame)."""
from __future__ import annotations

import pytest

from framework.netns import quiet_namespace, static_neighbour
from framework.shmstream import GUEST_MAC, MODES, RECV_PORT


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("offloads", [1, 0])
def test_every_datagram_arrives_once_in_order(kvm, tap_ns, guest_app, udp_receiver, mode, offloads):
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    count, size = 20000, 1001
    receiver = udp_receiver(stop_after=count, idle=3)
    mon = guest_app("udp-source", f"--dst={tap_ns.host_ip}:{RECV_PORT}", f"--count={count}", f"--size={size}",
                    "--rate=50000", io=mode, mac=GUEST_MAC, stats=True, flags=(f"--shm-offloads={offloads}",))
    got = receiver.result(timeout=60)
    mon.finish(timeout=30)
    nic = mon.stats()["shmstream"]["nics"]["net0"]
    assert (got["packets"], got["missing"], got["in_order"]) == (count, [], True), (got, nic)
    assert got["sizes"] == [size], got
    if offloads:
        assert nic["tx_gso_frames"] > 0, nic  # runs of frames went out as GSO writes
    else:
        assert nic["tx_gso_frames"] == 0 and nic["vnet"] is False, nic
