"""test_monitor_impair: the impairment engine inside the monitor's packet path (--impair:NIC=SPEC), per io mode."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from framework.monitor import EXIT_CONFIG, run_monitor, summary
from framework.netns import in_ns, ping_guest, quiet_namespace, static_neighbour, tap_tx_dropped
from framework.shmstream import RECV_PORT, SINK_PORT
from testbed import paths

GUEST_MAC = "02:00:00:00:51:01"


def replied_seqs(ping_stdout: str) -> set[int]:
    return {int(m) for m in re.findall(r"icmp_seq=(\d+) ", ping_stdout)}


def min_rtt_ms(ping_stdout: str) -> float:
    return float(re.search(r"= ([\d.]+)/", ping_stdout).group(1))


IO_MODES = pytest.mark.parametrize("io", ["hypercall", "event", "hybrid"])


def lossy_round(guest_app, tap_ns, io: str, spec: str):
    """ping-serve behind `spec` on what it receives: the echo requests that got a reply, and the monitor's stats."""
    guest = guest_app("ping-serve", io=io, mac=GUEST_MAC, stats=True, flags=(f"--impair-rx:service0={spec}",))
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 40, interval=0.02, wait=1)
    guest.stop()
    return replied_seqs(ping.stdout), guest.stats()["nics"]["service0"]


@IO_MODES
def test_loss_drops_the_same_packets_with_the_same_seed(kvm, tap_ns, guest_app, io):
    # No ARP and no IPv6 chatter (a router solicitation or MLD report would take a packet index): the echo
    # requests are the only frames, so the same seed drops the same ones.
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    first, stats = lossy_round(guest_app, tap_ns, io, "loss=300000,seed=7")
    second, _ = lossy_round(guest_app, tap_ns, io, "loss=300000,seed=7")
    other, _ = lossy_round(guest_app, tap_ns, io, "loss=300000,seed=8")
    assert 10 <= len(first) <= 38, first  # 30% of 40: far from none and from all
    assert first == second
    assert other != first
    counters = stats["impair"]["rx"]
    assert "tx" not in stats["impair"]
    assert counters["received"] == counters["sent"] + counters["dropped"]
    assert counters["dropped"] >= 40 - len(first)


@IO_MODES
def test_delay_both_ways_shows_in_the_round_trip(kvm, tap_ns, guest_app, io):
    guest = guest_app("ping-serve", io=io, stats=True, flags=("--impair:service0=delay=20000000",))
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 10, interval=0.05, wait=2)
    guest.stop()
    assert "10 received" in ping.stdout, ping.stdout
    assert min_rtt_ms(ping.stdout) >= 40.0, ping.stdout
    impair = guest.stats()["nics"]["service0"]["impair"]
    assert impair["rx"]["delayed"] >= 10 and impair["tx"]["delayed"] >= 10
    assert impair["rx"]["dropped"] == impair["tx"]["dropped"] == 0


@IO_MODES
def test_duplicates_reach_the_pinger(kvm, tap_ns, guest_app, io):
    guest = guest_app("ping-serve", io=io, stats=True, flags=("--impair-tx:service0=duplicate=1000000",))
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 5, interval=0.05, wait=1)
    guest.stop()
    assert "5 received" in ping.stdout and "DUP!" in ping.stdout, ping.stdout
    assert guest.stats()["nics"]["service0"]["impair"]["tx"]["duplicated"] >= 5


def test_solo5_ring_is_impaired_too(kvm, tap_ns, guest_app):
    guest = guest_app("ring-ping", io="solo5-ring", stats=True, flags=("--impair:service0=delay=20000000",))
    ping = ping_guest(tap_ns, 10, interval=0.05, wait=2)
    guest.stop()
    assert "10 received" in ping.stdout, ping.stdout
    assert min_rtt_ms(ping.stdout) >= 40.0, ping.stdout
    stats = guest.stats()
    assert stats["hypercalls"]["net_read"] == 0 and stats["hypercalls"]["net_write"] == 0
    impair = stats["nics"]["service0"]["impair"]
    assert impair["rx"]["delayed"] >= 10 and impair["tx"]["delayed"] >= 10


@IO_MODES
def test_no_impairment_leaves_the_nic_alone(kvm, tap_ns, guest_app, io):
    guest = guest_app("ping-serve", io=io, stats=True)
    assert guest.ready.startswith("ready:")
    ping = ping_guest(tap_ns, 10, interval=0.01, wait=1)
    guest.stop()
    assert "10 received" in ping.stdout, ping.stdout
    assert "impair" not in guest.stats()["nics"]["service0"]


def test_bad_impairments_are_refused_in_one_line(kvm, tap_ns):
    image = str(paths.test_image("nic-info"))
    net = f"--net:service0={tap_ns.tap}@{tap_ns.netns}"
    for flags, message in [
        ((net, "--impair:service0=loss=2000000"), "--impair:service0=loss=2000000: "),
        ((net, "--impair:service0=bogus=1"), "--impair:service0=bogus=1: "),
        ((net, "--impair:other=loss=1"), "--impair:other=loss=1: no --net:other=... option for this device"),
        ((net, "--impair-link:service0=x"), "--impair-link:service0=x: expected a 64-bit link number"),
    ]:
        proc = run_monitor(*flags, image, timeout=30)
        assert proc.returncode == EXIT_CONFIG, (flags, proc.stderr)
        assert proc.stderr.startswith(f"tb-monitor: {message}") and proc.stderr.count("\n") == 1, proc.stderr


# The engine's counter-based generator (monitor/impair/impair.c), so a test can name every packet's fate in advance.
MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
STREAM_LOSS, STREAM_DUPLICATE, STREAM_CORRUPT = 1, 3, 4
TX_DIRECTION, RX_DIRECTION = 0, 1  # TB_IMPAIR_TX, TB_IMPAIR_RX; the generator gets direction + 2 * class
CLASS_ARP = 1


def mix64(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def impair_random(seed: int, link: int, direction: int, index: int, stream: int) -> int:
    key = mix64(seed ^ mix64((link + GOLDEN * (2 * direction + 1)) & MASK64))
    return mix64(key ^ mix64((index * GOLDEN + (stream << 56)) & MASK64))


def chance(seed: int, link: int, direction: int, index: int, stream: int, ppm: int) -> bool:
    return impair_random(seed, link, direction, index, stream) % 1_000_000 < ppm


def expected_fates(frames: int, seed: int, link: int, ppm: int, direction: int) -> dict:
    """loss, then duplicate and corrupt (for what was not lost), each at ppm, for data frames 0..frames-1; "intact":
    the copies that reach their receiver with a checksum that holds."""
    lost = {i for i in range(frames) if chance(seed, link, direction, i, STREAM_LOSS, ppm)}
    kept = [i for i in range(frames) if i not in lost]
    duplicated = {i for i in kept if chance(seed, link, direction, i, STREAM_DUPLICATE, ppm)}
    corrupted = {i for i in kept if chance(seed, link, direction, i, STREAM_CORRUPT, ppm)}
    intact = [i for i in kept if i not in corrupted]
    return {"received": frames, "dropped": len(lost), "duplicated": len(duplicated), "corrupted": len(corrupted),
            "sent": len(kept) + len(duplicated), "intact": len(intact) + len(duplicated & set(intact))}


COUNTED = ("received", "dropped", "duplicated", "corrupted", "sent")


GSO_SENDER = Path(__file__).with_name("datapath_gso_send.py")


@pytest.mark.parametrize("io", ["hypercall", "event", "poll"])
def test_loss_duplicate_and_corrupt_at_once_hit_exactly_the_chosen_frames(kvm, tap_ns, guest_app, io):
    """UDP GSO frames (17 datagrams each) split into ring slots: a frame lost leaves its slot to the next, a duplicate
    takes the slot a later datagram of the same GSO frame was read into, a corrupted one loses its checksum's vouch
    (the guest's own check drops it). Every count is what the generator says for these 680 frames, on every path."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    seed, link, ppm, frames = 7, 12345, 100_000, 40 * 17
    spec = f"loss={ppm},duplicate={ppm},corrupt={ppm},seed={seed}"
    guest = guest_app("udp-sink", f"--port={SINK_PORT}", "--seconds=3", io=io, mac=GUEST_MAC, stats=True,
                      flags=(f"--impair-rx:service0={spec}", f"--impair-link:service0={link}"))
    sent = subprocess.run(in_ns(tap_ns.netns, sys.executable, str(GSO_SENDER), "udp", tap_ns.guest_ip, str(SINK_PORT),
                                "1001", "17", "40", "777"), capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(sent.stdout)["datagrams"] == frames
    status, lines = guest.finish(timeout=40)
    stats = guest.stats()
    nic = stats["nics"]["service0"]
    counters = nic["impair"]["rx"]
    want = expected_fates(frames, seed, link, ppm, RX_DIRECTION)
    diag = {"stats": nic, "want": want, "tap_dropped": tap_tx_dropped(tap_ns)}
    assert status == 0, (lines, diag)
    assert all(want[k] > 20 for k in ("dropped", "duplicated", "corrupted")), want  # each impairment at work
    assert {k: counters[k] for k in COUNTED} == {k: want[k] for k in COUNTED}, diag
    assert counters["queue_drops"] == counters["delayed"] == 0, diag
    assert nic["rx_packets"] == want["sent"], diag
    assert summary(lines)["rx_packets"] == want["intact"], (summary(lines), diag)


@pytest.mark.parametrize("io", ["hypercall", "event", "poll"])
def test_tx_loss_duplicate_and_corrupt_hit_exactly_the_chosen_frames(kvm, tap_ns, guest_app, udp_receiver, io):
    """The guest's UDP frames through its TX engine: what leaves at once joins the GSO batch (event, poll) but a
    corrupted frame must leave alone, its checksum as the guest made it, so the host's own check drops it; every
    count is what the generator says for these frames, on every path."""
    quiet_namespace(tap_ns)
    static_neighbour(tap_ns, GUEST_MAC)
    seed, link, ppm, frames = 13, 54321, 100_000, 2000
    # The guest's ARP frames (their own class and indices: a request, maybe repeated) must leave untouched for the
    # count to be exact: with this seed the first four do.
    arp = TX_DIRECTION + 2 * CLASS_ARP
    assert not any(chance(seed, link, arp, i, stream, ppm)
                   for i in range(4) for stream in (STREAM_LOSS, STREAM_DUPLICATE, STREAM_CORRUPT))
    spec = f"loss={ppm},duplicate={ppm},corrupt={ppm},seed={seed}"
    receiver = udp_receiver(idle=3)
    guest = guest_app("udp-source", f"--dst={tap_ns.host_ip}:{RECV_PORT}", f"--count={frames}", "--size=1001",
                      "--rate=50000", io=io, mac=GUEST_MAC, stats=True,
                      flags=(f"--impair-tx:service0={spec}", f"--impair-link:service0={link}"))
    got = receiver.result(timeout=60)
    status, lines = guest.finish(timeout=30)
    stats = guest.stats()
    counters = stats["nics"]["service0"]["impair"]["tx"]
    want = expected_fates(frames, seed, link, ppm, TX_DIRECTION)
    arp_frames = counters["received"] - frames
    assert 1 <= arp_frames <= 4, counters
    want["received"] += arp_frames
    want["sent"] += arp_frames
    diag = {"stats": stats["nics"], "want": want, "got": {k: got[k] for k in ("packets", "sizes")}}
    assert status == 0 and summary(lines)["tx_packets"] == frames, (lines, diag)
    assert all(want[k] > 100 for k in ("dropped", "duplicated", "corrupted")), want  # each impairment at work
    assert {k: counters[k] for k in COUNTED} == {k: want[k] for k in COUNTED}, diag
    assert got["packets"] == want["intact"], diag
    if io != "hypercall":
        assert stats["shmstream"]["nics"]["net0"]["tx_gso_frames"] > 0, diag  # batches did form around the engine
