"""test_monitor_impair_stall: a guest stops reading while its RX ring fills in the middle of a GSO frame (the rest of the
frame's segments wait in the monitor with the checksums left to the guest); run-time changes of either direction, and
the link going down, still take effect at once, the counters are still published, and the waiting segments go on
under the new configuration with whole checksums. Per shmstream io mode."""
from __future__ import annotations

import time

import dpkt
import pytest
from test_datapath_gso import GUEST6, l4_checksum_ok, segments, send, with_ipv6

from framework.monitor import summary
from framework.netns import quiet_namespace, static_neighbour, tap_tx_dropped
from framework.shmstream import GUEST_MAC, MODES, SINK_PORT
from framework.waits import wait_for
from testbed.apply.nic_control import RX, TX, Control, create

SLOTS = 32  # the RX ring: smaller than one GSO frame, so the first one fills it with segments to spare
SEGMENTS, MESSAGES, SIZE = 40, 3, 1000  # UDP GSO messages of 40 datagrams of 1000 bytes
TAKE_SECONDS = 2  # a change is taken within this
STALL_SECONDS = 10  # long enough for the burst and every change below on a loaded host


def stalled_guest(guest_app, tmp_path, mode: str, *flags: str):
    """impair_stall behind an impaired NIC whose engines let everything through, its control file, and a ring of
    SLOTS; returns once the guest has stopped reading, and when."""
    control = tmp_path / "monitor.ctl"
    create(control)
    process = guest_app("impair_stall", f"--port={SINK_PORT}", f"--seconds={STALL_SECONDS}", io=mode, mac=GUEST_MAC,
                        stats=True, flags=(f"--shm-slots={SLOTS}", f"--impair-control={control}",
                                           "--impair-link:service0=5", "--impair:service0=seed=1", *flags))
    process.wait_line("stalling")
    return process, control, time.monotonic()


def flood(tap_ns, dst: str | None = None) -> int:
    """The GSO burst (to the guest's IPv4 address unless dst); the datagrams handed to the kernel."""
    return send(tap_ns, "udp", dst or tap_ns.guest_ip, SINK_PORT, SIZE, SEGMENTS, MESSAGES, SIZE)["datagrams"]


def ring_full_mid_frame(control: Control) -> dict:
    """The RX counters once the monitor published the ring's worth of the first frame (the state under test)."""
    return wait_for(lambda: (state := control.read("service0", RX))["counters"]["received"] >= SLOTS and state,
                    5, "the RX counters of a NIC whose guest stopped reading")


def still_stalled(since: float) -> None:
    """The changes were made while the guest still did not read (with a second to spare for its clock having started
    before we saw its line), else the test would prove nothing."""
    assert time.monotonic() - since < STALL_SECONDS - 1, "the stall ended before the changes: raise STALL_SECONDS"


def change(control: Control, direction: int, spec: str) -> dict:
    """Writes spec and returns the direction's published state once the monitor has taken it: within TAKE_SECONDS
    (it looks at least every 100 ms; Control.write's own 0.25 s wait is short for a busy-polling IO thread on a
    loaded host), never for the monitor that waited for the guest to read again."""
    applied = control.read("service0", direction)["applied"]
    control.write("service0", direction, spec)
    return wait_for(lambda: control.read("service0", direction), TAKE_SECONDS, f"the monitor to take {spec!r}",
                    until=lambda state: not state["pending"] and state["applied"] == applied + 1)


@pytest.mark.kvm
@pytest.mark.parametrize("mode", MODES)
def test_a_stalled_guests_nic_takes_tx_rx_and_down_changes_and_publishes_counters(kvm, tap_ns, guest_app, tmp_path,
                                                                                   mode):
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    process, path, stalled = stalled_guest(guest_app, tmp_path, mode)
    sent = flood(tap_ns)
    with Control(path, "link") as control:
        # The other direction first: it holds nothing of the stalled receive path and must not wait on it.
        assert change(control, TX, "loss=1000000,seed=1")["config"]["loss_ppm"] == 1_000_000
        rx = ring_full_mid_frame(control)
        assert rx["counters"]["received"] == SLOTS and rx["counters"]["sent"] == SLOTS, rx  # mid-frame: 32 of 40
        assert change(control, RX, "delay=2000000,seed=1")["config"]["delay_ns"] == 2_000_000
        for direction in (TX, RX):  # `testbed impair LAB LINK down`
            assert change(control, direction, "down=1,seed=1")["config"]["down"] is True
    still_stalled(stalled)
    status, lines = process.finish(timeout=STALL_SECONDS + 20)
    assert status == 0, lines
    # The guest gets what was in its ring before the link went down, and nothing after: the rest of the first frame
    # (waiting in the monitor) and the later frames are the down link's.
    assert summary(lines)["udp"] == SLOTS, lines
    stats = process.stats()
    rx = stats["nics"]["service0"]["impair"]["rx"]
    assert stats["shmstream"]["nics"]["net0"]["rx_ring_full"] >= 1
    assert rx["sent"] == SLOTS and rx["down_drops"] >= SEGMENTS - SLOTS, rx
    assert rx["received"] + tap_tx_dropped(tap_ns) == sent, (rx, sent)


@pytest.mark.kvm
@pytest.mark.parametrize("mode, family", [*((mode, "ipv4") for mode in MODES), ("event", "ipv6")])
def test_segments_waiting_when_rx_changes_get_whole_checksums_and_all_arrive(kvm, tap_ns, guest_app, tmp_path, mode,
                                                                             family):
    """The change to a delay holds for the waiting segments too: each is held, then handed over without the guest
    being told its checksum is vouched for, so the guest checks it (IPv4: it counts every datagram; it speaks no
    IPv6, whose pseudo-header differs: there the capture alone tells)."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    if family == "ipv6":
        with_ipv6(tap_ns)
    capture = tmp_path / "rx.pcapng"
    process, path, stalled = stalled_guest(guest_app, tmp_path, mode, f"--capture:service0={capture}")
    sent = flood(tap_ns, GUEST6 if family == "ipv6" else None)
    with Control(path, "link") as control:
        ring_full_mid_frame(control)
        change(control, RX, "delay=1000000,seed=1")
    still_stalled(stalled)
    status, lines = process.finish(timeout=STALL_SECONDS + 20)
    assert status == 0, lines
    assert summary(lines)["udp"] == (sent if family == "ipv4" else 0), lines
    rx = process.stats()["nics"]["service0"]["impair"]["rx"]
    assert rx["delayed"] == rx["received"] - SLOTS, rx  # all but the ring's worth before the change
    udp = segments(capture, dpkt.udp.UDP)
    assert len(udp) == sent  # none lost at the TAP (IPv6's own chatter may be: MLD, router solicitations)
    # The ring's first SLOTS went out lazy (the kernel's partial sum in the field, the slot vouched for); every later
    # one, the waiting segments among them, carries a whole checksum.
    bad = [i for i, ip in enumerate(udp[SLOTS:], SLOTS) if not l4_checksum_ok(ip, dpkt.ip.IP_PROTO_UDP)]
    assert not bad, bad
