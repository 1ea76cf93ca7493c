"""The ping benches' parts: ci/tap_echo.py answers an echo request with a valid reply (checksums recomputed here from
scratch) and ignores anything else; ci/bench_shm.py's --ping-variants parse, and hlt goes only to the ends whose
monitor wakes them; ci/bench udp-rx's --ping-intervals names its figures."""
from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parents[2] / "ci"
sys.path.insert(0, str(CI))

import bench_cli
import bench_shm
from bench_ping import interval_label
from tap_echo import echo_reply


def checksum(data: bytes) -> int:
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(rng: random.Random, payload: int) -> bytes:
    icmp = bytearray(b"\x08\x00\x00\x00" + rng.randbytes(4 + payload))
    struct.pack_into("!H", icmp, 2, checksum(bytes(icmp)))
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0x4000, 64, 1, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    struct.pack_into("!H", ip, 10, checksum(bytes(ip)))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + bytes(ip) + bytes(icmp)


def test_tap_echo_replies_with_valid_checksums():
    rng = random.Random(7)
    for _ in range(3000):  # random identifiers and payloads reach every carry case of the checksum update
        request = echo_request(rng, rng.randrange(0, 1400))
        reply = echo_reply(request)
        assert reply[:12] == request[6:12] + request[0:6]
        assert reply[26:34] == request[30:34] + request[26:30]
        assert reply[34] == 0 and reply[38:] == request[38:]
        assert checksum(reply[14:34]) == 0 and checksum(reply[34:]) == 0


@pytest.mark.parametrize("mangle", [lambda f: f[:12] + b"\x86\xdd" + f[14:],  # not IPv4
                                    lambda f: f[:23] + b"\x11" + f[24:],  # UDP
                                    lambda f: f[:34] + b"\x00" + f[35:],  # an echo reply
                                    lambda f: f[:40]])  # cut short
def test_tap_echo_ignores_other_frames(mangle):
    assert echo_reply(mangle(echo_request(random.Random(1), 56))) is None


def test_ping_variants_parse():
    v = bench_shm.PingVariant.parse("event/hlt:200000/pin")
    assert (v.io, v.sleep, v.halt_poll_ns, v.pin) == ("event", "hlt", 200000, True)
    assert bench_shm.PingVariant.parse("hybrid/exit").halt_poll_ns is None
    for bad in ("event", "event/nap", "event/exit:5", "event/hlt:x", "warp/exit", "event/hlt/pinned"):
        with pytest.raises(ValueError, match="MODE/SLEEP|SLEEP is"):
            bench_shm.PingVariant.parse(bad)


def test_hlt_goes_only_to_ends_whose_monitor_wakes_them(tmp_path):
    hlt = bench_shm.PingVariant.parse("event/hlt:50000/pin")
    assert not hlt.applies_to("shm") and hlt.applies_to("shm_noop")
    text = bench_shm.ping_topology(tmp_path, "shm_noop", hlt, 10).read_text()
    a, b = (line for line in text.splitlines() if line.startswith(("  a:", "  b:")))
    assert a.endswith("sleep: hlt, halt_poll_ns: 50000, cpus: {vcpu: 0}}") and "sleep" not in b and "vcpu: 1" in b


def test_the_ping_topologies_load(tmp_path):
    from testbed.topology.load import load_topology
    for link in bench_shm.HLT_ENDS:
        for text in ("event/exit", "hybrid/hlt:1000000/pin"):
            variant = bench_shm.PingVariant.parse(text)
            if variant.applies_to(link):
                load_topology(bench_shm.ping_topology(tmp_path, link, variant, 10))


def test_ping_intervals():
    args = bench_cli.build_parser().parse_args(["udp-rx", "--ping-intervals", "0.005,0.001,0.0002"])
    assert args.ping_intervals == [0.005, 0.001, 0.0002]
    assert [interval_label(i) for i in args.ping_intervals] == ["", "1ms_", "0.2ms_"]
    with pytest.raises(SystemExit):
        bench_cli.build_parser().parse_args(["udp-rx", "--ping-intervals", "0,0.001"])


def test_the_report_shows_each_interval_under_the_keys_the_bench_writes():
    import bench_report
    keys = [key for key, _, _ in bench_report.ping_interval_columns([0.005, 0.0002])]
    assert keys == ["ping_p50_us", "ping_p99_us", "ping_cpu_us", "ping_0.2ms_p50_us", "ping_0.2ms_p99_us",
                    "ping_0.2ms_cpu_us"]
