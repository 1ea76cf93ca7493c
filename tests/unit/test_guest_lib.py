"""test_guest_lib: the guest helper library (monitor/guest/lib) compiled for the host and checked against independent Python/libc references."""
from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUR_MAC = bytes.fromhex("020000000002")
PEER_MAC = bytes.fromhex("aabbccddee01")
OUR_IP, PEER_IP = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])

ALL_ARGS = 0xFF
IP, GW, PORT, DST, SIZE, RATE, SECONDS, COUNT = (1 << i for i in range(8))


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    """The library's real sources plus a fake Solo5, built with the host gcc."""
    out = tmp_path_factory.mktemp("guestlib") / "harness"
    sources = sorted((REPO / "monitor/guest/lib").glob("*.c"))
    sources += [HERE / "guest_lib_harness.c", HERE / "guest_lib_fmt_cases.c"]
    subprocess.run(
        ["gcc", "-O2", "-g", "-std=gnu11", "-Wall", "-Wextra", "-Werror",
         f"-I{REPO}/monitor/include", f"-I{REPO}/monitor/guest/include",
         "-o", str(out), *map(str, sources)],
        check=True,
    )
    return out


def run(harness: Path, *args: str, status: int = 0) -> str:
    proc = subprocess.run([str(harness), *args], capture_output=True, text=True, timeout=10)
    assert proc.returncode == status, proc.stdout + proc.stderr
    return proc.stdout


# ---- independent references ----

def inet_csum(data: bytes) -> int:
    """RFC 1071 over big-endian 16-bit words, the textbook way."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_header(src: bytes, dst: bytes, proto: int, payload_len: int, frag: int = 0x4000) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 1, frag, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", inet_csum(hdr)) + hdr[12:]


def udp_frame(payload: bytes, dst_mac=OUR_MAC, dst_ip=OUR_IP, sport=4000, dport=5000,
              corrupt_csum=False, frag=0x4000) -> bytes:
    udp_len = 8 + len(payload)
    pseudo = PEER_IP + dst_ip + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    csum = inet_csum(pseudo + udp) or 0xFFFF
    if corrupt_csum:
        csum ^= 0x0100
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    return dst_mac + PEER_MAC + b"\x08\x00" + ip_header(PEER_IP, dst_ip, 17, udp_len, frag) + udp


def echo_request(ident: int, seq: int, data: bytes, corrupt=False) -> bytes:
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    csum = inet_csum(icmp) ^ (1 if corrupt else 0)
    icmp = icmp[:2] + struct.pack("!H", csum) + icmp[4:]
    return OUR_MAC + PEER_MAC + b"\x08\x00" + ip_header(PEER_IP, OUR_IP, 1, len(icmp)) + icmp


def arp_request(target: bytes) -> bytes:
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, PEER_MAC, PEER_IP, b"\0" * 6, target)
    return b"\xff" * 6 + PEER_MAC + b"\x08\x06" + body + b"\0" * 18  # padded to 60 like a real NIC


def sent_frames(out: str) -> list[bytes]:
    return [bytes.fromhex(line.split()[1]) for line in out.splitlines() if line.startswith("tx ")]


# ---- formatter ----

def test_formatter_matches_libc(harness):
    lines = [line.split("\t") for line in run(harness, "fmt").splitlines()]
    cases = [fields for fields in lines if len(fields) == 5]
    assert len(cases) >= 20
    for size, ours, our_ret, libc, libc_ret in cases:
        assert (ours, our_ret) == (libc, libc_ret), f"size {size}: ours {ours!r}/{our_ret}, libc {libc!r}/{libc_ret}"
    zero = next(fields for fields in lines if fields[0] == "zero")
    assert zero == ["zero", "G", "5"], "a zero-size buffer must stay untouched"


def test_printf_writes_console_in_chunks(harness):
    out = run(harness, "fmt")
    assert "printf to console 7\n" in out
    printed = [int(fields.split("\t")[1]) for fields in out.splitlines() if fields.startswith("printed\t")]
    assert printed == [len("printf to console 7\n"), 302]
    assert " " * 296 + "long|\n" in out  # crossed the 256-byte chunk intact


# ---- checksum ----

def test_checksum_rfc1071_example(harness):
    # RFC 1071 section 3: these bytes sum to 0xddf2, so the checksum is 0x220d.
    assert run(harness, "csum", "0", "0001f203f4f5f6f7").strip() == "220d"


@pytest.mark.parametrize("offset", [0, 1, 3])
def test_checksum_matches_reference(harness, offset):
    rng = random.Random(offset)
    lengths = [0, 1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 33, 63, 64, 65, 1299, 1300, 1472, 9000]
    for length in lengths:
        data = bytes(rng.randrange(256) for _ in range(length))
        got = run(harness, "csum", str(offset), data.hex()).strip()
        assert got == f"{inet_csum(data):04x}", f"length {length} offset {offset}"
    worst = b"\xff" * 65534  # maximal carries
    assert run(harness, "csum", str(offset), worst.hex()).strip() == f"{inet_csum(worst):04x}"


# ---- addresses and arguments ----

@pytest.mark.parametrize("text,expect", [
    ("10.77.0.2", "ok 10.77.0.2 0a4d0002 rest=[]"),
    ("255.255.255.255/32", "ok 255.255.255.255 ffffffff rest=[/32]"),
    ("0.0.0.0:80", "ok 0.0.0.0 00000000 rest=[:80]"),
    ("256.1.1.1", "fail"), ("1.2.3", "fail"), ("1.2.3.", "fail"), ("a.b.c.d", "fail"),
    ("1..2.3", "fail"), ("1.2.3.1000", "fail"), ("", "fail"),
])
def test_ip_parse_and_format(harness, text, expect):
    assert run(harness, "ip", text).strip() == expect


def parse_args(harness, cmdline, allowed=ALL_ARGS, required=0) -> str:
    return run(harness, "args", cmdline, str(allowed), str(required)).strip()


def test_args_all_options(harness):
    out = parse_args(harness, "--ip=10.77.0.2/24 --gw=10.77.0.1 --port=5000 --dst=10.77.0.1:6000 "
                              "--size=1300 --rate=20000 --seconds=2.5 --count=100")
    assert out == ("ok seen=255 ip=0a4d0002 prefix=24 gw=0a4d0001 port=5000 dst=0a4d0001:6000 "
                   "size=1300 rate=20000 millis=2500 count=100")


def test_args_defaults_and_spacing(harness):
    assert parse_args(harness, "  --rate=max   --seconds=3 ") == (
        "ok seen=96 ip=00000000 prefix=0 gw=00000000 port=0 dst=00000000:0 size=0 rate=0 millis=3000 count=0")
    assert parse_args(harness, "").startswith("ok seen=0 ")
    assert "millis=50 " in parse_args(harness, "--seconds=0.05")


@pytest.mark.parametrize("cmdline,reason", [
    ("--bogus=1", "unknown argument '--bogus=1'"),
    ("stray", "unknown argument 'stray'"),
    ("--ip=10.0.0.2", "bad value in '--ip=10.0.0.2' (expected --ip=ADDR/PREFIX)"),
    ("--ip=10.0.0.2/33", "bad value"),
    ("--port=0", "bad value"), ("--port=65536", "bad value"), ("--port=12ab", "bad value"),
    ("--dst=10.0.0.1", "bad value"), ("--dst=10.0.0.1:0", "bad value"),
    ("--rate=0", "bad value"), ("--rate=fast", "bad value"),
    ("--seconds=0", "bad value"), ("--seconds=.5", "bad value"), ("--seconds=1.2345", "bad value"),
    ("--count=0", "bad value"), ("--count=99999999999999999999", "bad value"),
    ("--port", "--port needs a value: --port=N"),
    ("--port=1 --port=2", "--port given twice"),
])
def test_args_rejects(harness, cmdline, reason):
    out = parse_args(harness, cmdline)
    assert out.startswith("err ") and reason in out, out


def test_args_only_what_the_app_accepts(harness):
    assert parse_args(harness, "--rate=max", allowed=IP | PORT) == "err unknown argument '--rate=max'"
    assert parse_args(harness, "--port=9", allowed=ALL_ARGS, required=IP | PORT) == "err missing --ip=ADDR/PREFIX"


def test_args_or_exit_prints_usage_and_exits_2(harness):
    out = run(harness, "args-exit", "udp-sink", "--ip=10.0.0.2/24 --what=1", status=2)
    assert out == ("udp-sink: unknown argument '--what=1'\n"
                   "usage: udp-sink --ip=ADDR/PREFIX [--port=N] [--seconds=S]\n")
    assert run(harness, "args-exit", "udp-sink", "--ip=10.0.0.2/24 --port=7") == "parsed\n"


# ---- frames in and out ----

def test_arp_request_for_us_is_answered_and_learned(harness):
    out = run(harness, "input", arp_request(OUR_IP).hex())
    assert out.splitlines()[-2:] == ["handled", f"learned 10.0.0.1 {PEER_MAC.hex()}"]
    [reply] = sent_frames(out)
    assert reply[:14] == PEER_MAC + OUR_MAC + b"\x08\x06"
    assert struct.unpack("!HHBBH6s4s6s4s", reply[14:42]) == (1, 0x0800, 6, 4, 2, OUR_MAC, OUR_IP, PEER_MAC, PEER_IP)


def test_arp_request_for_someone_else_is_ignored(harness):
    out = run(harness, "input", arp_request(bytes([10, 0, 0, 9])).hex())
    assert out == "handled\n"  # parsed, but no reply and nothing learned


def test_echo_request_is_answered(harness):
    data = bytes(range(56))
    out = run(harness, "input", echo_request(0x1234, 7, data).hex())
    assert out.splitlines()[-1] == "handled"
    [reply] = sent_frames(out)
    assert reply[:14] == PEER_MAC + OUR_MAC + b"\x08\x00"
    ip = reply[14:34]
    assert inet_csum(ip) == 0 and ip[9] == 1 and ip[12:16] == OUR_IP and ip[16:20] == PEER_IP
    assert struct.unpack("!H", ip[2:4])[0] == 20 + 8 + len(data)
    icmp = reply[34:]
    assert inet_csum(icmp) == 0
    assert struct.unpack("!BBHH", icmp[:2] + icmp[4:8]) == (0, 0, 0x1234, 7) and icmp[8:] == data


@pytest.mark.parametrize("frame", [
    echo_request(1, 1, b"x" * 8, corrupt=True),
    OUR_MAC + PEER_MAC + b"\x08\x00" + ip_header(PEER_IP, bytes([10, 0, 0, 3]), 1, 8) + b"\x08\0\xf7\xff\0\0\0\0",
])
def test_bad_or_foreign_echo_is_ignored(harness, frame):
    assert run(harness, "input", frame.hex()) == "ignored\n"


def test_udp_to_us_is_parsed(harness):
    payload = b"hello, sink" * 10
    out = run(harness, "input", udp_frame(payload).hex())
    assert out.splitlines() == [f"udp src=0a000001:4000 dst=0a000002:5000 len={len(payload)}",
                                f"payload {payload.hex()}"]


@pytest.mark.parametrize("frame", [
    udp_frame(b"abc", corrupt_csum=True),
    udp_frame(b"abc", dst_ip=bytes([10, 0, 0, 3])),
    udp_frame(b"abc", dst_mac=bytes.fromhex("02000000ffff")),
    udp_frame(b"abc", frag=0x2000),  # first fragment (MF)
    udp_frame(b"abc")[:40],          # truncated
])
def test_bad_or_foreign_udp_is_ignored(harness, frame):
    assert run(harness, "input", frame.hex()) == "ignored\n"


@pytest.mark.parametrize("size", [0, 1, 18, 1300, 1472])
def test_udp_build_is_valid_on_the_wire(harness, size):
    payload = bytes(random.Random(size).randrange(256) for _ in range(size))
    out = run(harness, "udp-build", "02:00:00:00:00:02", "aa:bb:cc:dd:ee:01", "10.0.0.2", "10.0.0.1",
              "1234", "5000", "77", payload.hex()).splitlines()
    frame = bytes.fromhex(out[0].split()[1])
    assert out[1] == "reparse 1"
    assert frame[:14] == PEER_MAC + OUR_MAC + b"\x08\x00"
    ip, udp = frame[14:34], frame[34:]
    assert inet_csum(ip) == 0
    assert struct.unpack("!BBHHHBB", ip[:10]) == (0x45, 0, 28 + size, 77, 0x4000, 64, 17)
    assert ip[12:16] == OUR_IP and ip[16:20] == PEER_IP
    sport, dport, length, csum = struct.unpack("!HHHH", udp[:8])
    assert (sport, dport, length, udp[8:]) == (1234, 5000, 8 + size, payload)
    assert csum != 0 and inet_csum(OUR_IP + PEER_IP + struct.pack("!BBH", 0, 17, length) + udp) == 0


# ---- NIC: ARP resolver and transmit batching ----

def test_resolver_retries_until_answered_then_caches(harness):
    out = run(harness, "resolve", "10.0.0.1", "aa:bb:cc:dd:ee:01", "3").splitlines()
    requests = [bytes.fromhex(line.split()[1]) for line in out if line.startswith("tx ")]
    assert len(requests) == 3
    for req in requests:
        assert req[:14] == b"\xff" * 6 + OUR_MAC + b"\x08\x06"
        assert struct.unpack("!HHBBH6s4s6s4s", req[14:42]) == (1, 0x0800, 6, 4, 1, OUR_MAC, OUR_IP, b"\0" * 6, PEER_IP)
    assert out[-2:] == ["resolved aa:bb:cc:dd:ee:01 requests=3 ms=400", "cached 1 asked=0"]


def test_resolver_gives_up_at_the_deadline(harness):
    out = run(harness, "resolve", "10.0.0.1", "aa:bb:cc:dd:ee:01", "0").splitlines()
    assert out[-1] == "timeout requests=5 ms=1000"


@pytest.mark.parametrize("frames,flushes", [(1, 1), (4, 1), (5, 2), (10, 3)])
def test_send_flushes_when_the_batch_is_full(harness, frames, flushes):
    out = run(harness, "burst", str(frames))
    sent = sent_frames(out)
    assert [f[0] for f in sent] == list(range(frames))  # all, in order
    assert out.splitlines()[-1] == f"flushes={flushes} errors=0"  # an empty flush costs nothing


def test_missing_nic_is_reported(harness):
    assert run(harness, "open-missing") == (
        'error: cannot acquire NIC "nosuch" (attach it with --net:nosuch=TAP)\nrc=-1\n')
