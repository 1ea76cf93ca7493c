"""The forward app's library (monitor/guest/lib/route.c, forward.c) on the host: argument parsing, longest-prefix
lookup, and one frame forwarded (TTL down by one, checksum still valid, MACs rewritten) or counted as not."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ROUTES = "--if=net0,10.0.0.1/24 --if=net1,10.0.1.1/24 --route=10.9.0.0/16,10.0.1.2 --route=10.9.9.0/24,10.0.0.7"
PEER_MAC = "aabbccddee02"


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("forwardlib") / "harness"
    sources = sorted((REPO / "monitor/guest/lib").glob("*.c")) + [HERE / "guest_forward_harness.c"]
    subprocess.run(["gcc", "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", f"-I{REPO}/monitor/include",
                    f"-I{REPO}/monitor/guest/include", "-o", str(out), *map(str, sources)], check=True)
    return out


def run(harness: Path, *args: str) -> list[str]:
    done = subprocess.run([str(harness), *args], capture_output=True, text=True, timeout=10, check=True)
    return done.stdout.splitlines()


def csum(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(dst: str, ttl: int = 64, to_mac: str = "020000000010", payload: bytes = b"x" * 26) -> bytes:
    src_ip, dst_ip = bytes([10, 0, 0, 9]), bytes(int(x) for x in dst.split("."))
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, ttl, 17, 0, src_ip, dst_ip)
    header = header[:10] + struct.pack("!H", csum(header)) + header[12:]
    return bytes.fromhex(to_mac) + bytes.fromhex("aabbccddee09") + b"\x08\x00" + header + payload


@pytest.mark.parametrize(("dst", "expected"), [
    ("10.0.1.77", "if=1 hop=10.0.1.77"),   # connected
    ("10.9.1.1", "if=1 hop=10.0.1.2"),     # the /16
    ("10.9.9.1", "if=0 hop=10.0.0.7"),     # the longer /24 wins
    ("192.168.0.1", "none"),
])
def test_lookup_prefers_connected_then_the_longest_prefix(harness, dst, expected):
    assert run(harness, "route", ROUTES, dst) == [expected]


@pytest.mark.parametrize(("cmdline", "error"), [
    ("--if=net0,10.0.0.1/33", "error: bad --if=net0,10.0.0.1/33 (expected --if=NAME,ADDR/PREFIX)"),
    ("--if=net0,10.0.0.1/24 --if=net0,10.0.1.1/24", "error: --if=net0 given twice"),
    ("--if=net0,10.0.0.1/24 --route=10.9.0.0/16,10.5.0.1",
     "error: --route gateway 10.5.0.1 is on none of the --if subnets"),
    ("--if=net0,10.0.0.1/24 --route=10.9.0.0,10.0.0.2",
     "error: bad --route=10.9.0.0,10.0.0.2 (expected --route=DST/PREFIX,GATEWAY)"),
    ("--if=net0,10.0.0.1/24 --colour=red", "error: unknown argument '--colour=red'"),
])
def test_bad_arguments_are_one_line_reasons(harness, cmdline, error):
    assert run(harness, "route", cmdline, "10.0.0.1") == [error]


def test_a_frame_is_forwarded_with_ttl_down_by_one_and_a_valid_checksum(harness):
    lines = run(harness, "forward", ROUTES, "0", frame("10.9.1.1").hex(), "1", "10.0.1.2", PEER_MAC)
    (tx,) = [line for line in lines if line.startswith("tx ")]
    port, out = tx.split()[1], bytes.fromhex(tx.split()[2])
    assert port == "1" and out[:6].hex() == PEER_MAC and out[6:12].hex() == "020000000011"
    ip = out[14:34]
    assert ip[8] == 63 and csum(ip) == 0 and out[34:] == b"x" * 26
    assert lines[-1].startswith("stats forwarded=1 ")


@pytest.mark.parametrize(("kind", "data", "counter"), [
    ("ttl", frame("10.9.1.1", ttl=1), "ttl_expired=1"),
    ("route", frame("192.168.0.1"), "no_route=1"),
    ("checksum", frame("10.9.1.1")[:24] + b"\0\0" + frame("10.9.1.1")[26:], "bad_ip=1"),
    ("length", frame("10.9.1.1")[:40], "bad_ip=1"),
])
def test_what_cannot_be_forwarded_is_counted_and_not_sent(harness, kind, data, counter):
    lines = run(harness, "forward", ROUTES, "0", data.hex(), "1", "10.0.1.2", PEER_MAC)
    assert not [line for line in lines if line.startswith("tx ")], kind
    assert counter in lines[-1]


def test_an_unknown_next_hop_is_asked_for_and_the_frame_held(harness):
    lines = run(harness, "forward", ROUTES, "0", frame("10.9.1.1").hex())
    (tx,) = [line for line in lines if line.startswith("tx ")]
    request = bytes.fromhex(tx.split()[2])
    assert tx.split()[1] == "1" and request[:6] == b"\xff" * 6 and request[12:14] == b"\x08\x06"
    assert request[38:42] == bytes([10, 0, 1, 2])  # who has the gateway?
    assert "held=1" in lines[-1] and "forwarded=0" in lines[-1]
