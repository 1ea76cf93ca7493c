"""test_capture_trim: a capture file a killed writer left (reserved zeros, a reused ring file's older frames, a block
cut midway) is cut after its last whole block; a whole file, or one that is not pcapng, is left as it is."""
from __future__ import annotations

import fcntl
import io
import os
import struct
import threading

import dpkt
import pytest

from framework import pcapng as framework_pcapng
from testbed.capture import trim
from testbed.down.state import RunDir

IFNAME = b"guest:service0"
SECOND_NS = 1_000_000_000


def block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def header() -> bytes:
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 0))
    idb = block(1, struct.pack("<HHI", 1, 0, 65535) + option(2, IFNAME) + option(9, b"\x09") + struct.pack("<I", 0))
    return shb + idb


def epb(ts_ns: int, size: int = 60) -> bytes:
    frame = bytes(range(size))
    return block(6, struct.pack("<IIIII", 0, ts_ns >> 32, ts_ns & 0xFFFFFFFF, size, size) + frame
                 + b"\0" * (-size % 4))


def frames(start_ns: int, count: int, size: int = 60) -> bytes:
    return b"".join(epb(start_ns + i * 1000, size) for i in range(count))


def cut(tmp_path, data: bytes, reused: bool = False) -> bytes:
    path = tmp_path / "x.pcapng"
    path.write_bytes(data)
    trim.trim_file(path, reused=reused)
    return path.read_bytes()


def dpkt_count(data: bytes) -> int:
    return len(list(dpkt.pcapng.Reader(io.BytesIO(data))))


NOW = 1_800_000_000 * SECOND_NS


def test_the_zeros_a_killed_writer_reserved_are_cut(tmp_path):
    whole = header() + frames(NOW, 5)
    assert cut(tmp_path, whole + b"\0" * 65536) == whole
    assert dpkt_count(whole) == 5 and len(framework_pcapng.read(whole).frames) == 5


def test_a_block_cut_midway_is_cut_off(tmp_path):
    whole = header() + frames(NOW, 3)
    half = epb(NOW + 10_000)[:40]
    assert cut(tmp_path, whole + half + b"\0" * 100) == whole
    # its length field arrived but not its end: the trailing length (zeros) disagrees with it
    assert cut(tmp_path, whole + half[:8] + b"\0" * 200) == whole


def test_a_reused_ring_files_older_frames_are_cut_aligned_or_not(tmp_path):
    new = header() + frames(NOW, 4)
    older_pass = header() + frames(NOW - 5 * SECOND_NS, 10)
    aligned = new + older_pass[len(new):]  # same sized frames: the older ones start on the new blocks' boundary
    assert cut(tmp_path, aligned, reused=True) == new
    misaligned = new + older_pass[len(new) + 16:]
    assert cut(tmp_path, misaligned) == new


def test_frames_slightly_out_of_order_are_kept(tmp_path):
    whole = header() + frames(NOW, 3) + epb(NOW - 50_000_000) + frames(NOW + 10_000, 2)  # a merge 50 ms late
    assert cut(tmp_path, whole) == whole


def test_a_clock_step_back_costs_a_file_no_frames_unless_it_is_a_reused_ring_file(tmp_path):
    stepped = header() + frames(NOW, 3) + frames(NOW - 5 * SECOND_NS, 3)  # the wall clock set 5 s back mid-capture
    assert cut(tmp_path, stepped) == stepped
    assert len(framework_pcapng.read(cut(tmp_path, stepped)).frames) == 6


def test_a_ring_judges_by_age_only_the_file_written_last(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_STATE_DIR", str(tmp_path / "state"))
    run = RunDir.create("trimring", {})
    # A ring of 3 on its second pass, killed in file 1 (the newest first frame); file 2, left whole by the writer,
    # saw the wall clock step 5 s back.
    older_pass = header() + frames(NOW - 60 * SECOND_NS, 20)
    files = {0: header() + frames(NOW, 4),
             1: header() + frames(NOW + 20 * SECOND_NS, 4),
             2: header() + frames(NOW - 40 * SECOND_NS, 2) + frames(NOW - 45 * SECOND_NS, 2)}
    written = {0: files[0], 1: files[1] + older_pass[len(files[1]):], 2: files[2]}
    for i, data in written.items():
        (tmp_path / f"r.{i}.pcapng").write_bytes(data)
    trim.record_file(run, str(tmp_path / "r.pcapng"), 3)
    trim.trim_run(run)
    for i, data in files.items():
        assert (tmp_path / f"r.{i}.pcapng").read_bytes() == data, i
    run.remove()


def test_one_file_that_cannot_be_trimmed_does_not_stop_the_others(tmp_path, monkeypatch):
    damaged = header() + frames(NOW, 2) + b"\0" * 4096
    ring = [tmp_path / f"r.{i}.pcapng" for i in range(2)]
    for path in ring:
        path.write_bytes(damaged)
    real = trim.trim_file

    def shrank_meanwhile(path, reused=False):
        if path == ring[0]:
            raise ValueError("mmap length is greater than file size")
        return real(path, reused)

    monkeypatch.setattr(trim, "trim_file", shrank_meanwhile)
    trim.trim_ring(str(tmp_path / "r.pcapng"), 2)
    assert ring[1].read_bytes() == damaged[:-4096]


def test_two_trims_of_one_file_take_turns(tmp_path):
    """`down` and the `testbed capture` whose tool it killed trim one file at once: the second waits for the first."""
    path = tmp_path / "x.pcapng"
    whole = header() + frames(NOW, 2)
    path.write_bytes(whole + b"\0" * 8192)
    with open(path, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the other trimmer holds it
        second = threading.Thread(target=trim.trim_file, args=(path,))
        second.start()
        second.join(0.3)
        assert second.is_alive() and path.stat().st_size == len(whole) + 8192
    second.join(5)
    assert not second.is_alive() and path.read_bytes() == whole


def test_a_lock_held_too_long_leaves_the_file_rather_than_hold_up_down(tmp_path, monkeypatch):
    monkeypatch.setattr(trim, "LOCK_WAIT_S", 0.1)
    path = tmp_path / "x.pcapng"
    damaged = header() + frames(NOW, 2) + b"\0" * 64
    path.write_bytes(damaged)
    with open(path, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert trim.trim_file(path) is None and path.read_bytes() == damaged


def test_a_whole_file_or_one_that_is_not_pcapng_is_left_alone(tmp_path):
    whole = header() + frames(NOW, 2)
    assert cut(tmp_path, whole) == whole
    assert cut(tmp_path, header()) == header()
    other = b"not a capture" + b"\0" * 100
    assert cut(tmp_path, other) == other
    assert cut(tmp_path, b"") == b""


@pytest.mark.parametrize("kind", [3, 4, 5, 0x0A0D0D0A, 0x80000001])  # SPB, NRB, ISB, a 2nd section, custom
def test_a_file_another_tool_wrote_is_left_alone_even_with_a_damaged_end(tmp_path, kind):
    """`testbed capture -w FILE` records FILE before its tool opens it: a tool that fails first leaves the user's own
    file there (Wireshark's, with blocks ours never write), which must not be cut at its first unknown block."""
    foreign = header() + frames(NOW, 2) + block(kind, b"\1" * 16) + frames(NOW + SECOND_NS, 2) + b"\0" * 64
    assert cut(tmp_path, foreign) == foreign


def test_a_fifo_is_never_opened(tmp_path):
    fifo = tmp_path / "stream.pcapng"
    os.mkfifo(fifo)
    assert trim.trim_file(fifo) is None  # would block forever if it were opened for reading


def test_a_run_trims_exactly_the_files_it_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_STATE_DIR", str(tmp_path / "state"))
    run = RunDir.create("trimrun", {})
    damaged = header() + frames(NOW, 2) + b"\0" * 4096
    ring = [tmp_path / f"r.{i}.pcapng" for i in range(3)]
    for path in [*ring, tmp_path / "single.pcapng", tmp_path / "stranger.pcapng"]:
        path.write_bytes(damaged)
    trim.record_file(run, str(tmp_path / "r.pcapng"), 3)
    trim.record_file(run, str(tmp_path / "single.pcapng"), 1)
    trim.record_file(run, str(tmp_path / "missing.pcapng"), 2)  # never written: skipped
    trim.trim_run(run)
    for path in [*ring, tmp_path / "single.pcapng"]:
        assert path.read_bytes() == damaged[:-4096]
    assert (tmp_path / "stranger.pcapng").read_bytes() == damaged  # not recorded: not ours
    run.remove()


@pytest.mark.parametrize("tail", [b"\0" * 64, struct.pack("<II", 6, 30) + b"\0" * 60, struct.pack("<II", 6, 4000)])
def test_the_test_helper_reports_a_damaged_end_instead_of_looping(tail):
    with pytest.raises(ValueError, match="damaged block at byte"):
        framework_pcapng._frames(header() + frames(NOW, 2) + tail)
