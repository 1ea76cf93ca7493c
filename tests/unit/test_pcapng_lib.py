"""test_pcapng_lib: compiles monitor/lib/pcapng.c with a harness and reads what it writes with dpkt: headers, ns
timestamps, directions, padding, snaplen, a ring of bounded files, a bounded single file, a stream."""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import struct
import subprocess
from pathlib import Path

import pytest

from framework import pcapng

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "monitor" / "lib"
BASE_TS = 1700000000123456789


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the pcapng harness")
    exe = tmp_path_factory.mktemp("pcapng") / "pcapng_harness"
    subprocess.run(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-D_GNU_SOURCE", f"-I{LIB}",
                    str(Path(__file__).with_name("pcapng_harness.c")), str(LIB / "pcapng.c"), "-o", str(exe)],
                   check=True)
    return exe


def write(harness, path, frames, frame_len=60, file_bytes=0, files=1, ifname="guest:service0", snaplen=0):
    done = subprocess.run([str(harness), str(path), str(frames), str(frame_len), str(file_bytes), str(files), ifname,
                           str(snaplen)], check=False, capture_output=True, timeout=60)
    return done


def stats(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr)


def number(frame: pcapng.Frame) -> int:
    return struct.unpack_from("<I", frame.data)[0]


def test_a_file_has_the_interface_ns_timestamps_directions_and_every_frame(harness, tmp_path):
    path = tmp_path / "one.pcapng"
    assert stats(write(harness, path, 100)) == {"packets": 100, "dropped": 0, "rotations": 0}
    capture = pcapng.read(path)
    assert (capture.ifname, capture.tsresol) == ("guest:service0", 9)
    assert [f.ts_ns for f in capture.frames] == [BASE_TS + 1000 * i + 1 for i in range(100)]
    assert [number(f) for f in capture.frames] == list(range(100))
    assert [f.direction for f in capture.frames[:4]] == ["in", "out", "in", "out"]
    assert all(len(f.data) == f.length == 60 for f in capture.frames)


def test_odd_lengths_are_padded_and_kept_exactly(harness, tmp_path):
    path = tmp_path / "odd.pcapng"
    stats(write(harness, path, 200, frame_len=0))
    frames = pcapng.read(path).frames
    assert [len(f.data) for f in frames] == [1 + i % 67 for i in range(200)]
    assert all(f.data[4:] == bytes((i + k) & 0xFF for k in range(4, len(f.data))) for i, f in enumerate(frames))


def test_snaplen_cuts_the_data_not_the_wire_length(harness, tmp_path):
    path = tmp_path / "snap.pcapng"
    stats(write(harness, path, 10, frame_len=1500, snaplen=96))
    assert {(len(f.data), f.length) for f in pcapng.read(path).frames} == {(96, 1500)}


def test_a_ring_keeps_the_newest_frames_in_bounded_files(harness, tmp_path):
    path = tmp_path / "ring.pcapng"
    result = stats(write(harness, path, 1000, frame_len=100, file_bytes=8192, files=3))
    files = [tmp_path / f"ring.{i}.pcapng" for i in range(3)]
    assert not path.exists() and all(f.stat().st_size <= 8192 for f in files)
    captures = [pcapng.read(f) for f in files]
    numbers = sorted(number(frame) for c in captures for frame in c.frames)
    assert numbers[-1] == 999 and numbers == list(range(numbers[0], 1000))  # the newest, without a gap
    assert 1000 - len(numbers) > 0 and result["rotations"] > 3
    assert all(c.ifname == "guest:service0" for c in captures)


def block_end(data: bytes) -> int:
    """Where the walk of block lengths from the file's start stops (a zero length: an unwritten tail)."""
    offset = 0
    while offset + 8 <= len(data):
        length = struct.unpack_from("<I", data, offset + 4)[0]
        if length < 12:
            break
        offset += length
    return offset


def test_a_mapped_ring_leaves_every_file_ending_at_its_last_block(harness, tmp_path):
    path = tmp_path / "wrap.pcapng"
    result = stats(write(harness, path, 20000, frame_len=200, file_bytes=65536, files=4))  # wraps it ~18 times
    files = [tmp_path / f"wrap.{i}.pcapng" for i in range(4)]
    assert result["rotations"] > 60
    for f in files:
        data = f.read_bytes()
        assert 0 < len(data) <= 65536 and block_end(data) == len(data), f  # no reserved, unwritten rest left
    numbers = sorted(number(frame) for f in files for frame in pcapng.read(f).frames)
    assert numbers == list(range(numbers[0], 20000))


def test_a_file_whose_blocks_cannot_be_reserved_is_written_through_the_buffer(harness, tmp_path):
    def small_file_limit():  # fallocate to the 1 MiB bound fails (EFBIG), the frames themselves fit
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    path = tmp_path / "limited.pcapng"
    done = subprocess.run([str(harness), str(path), "500", "100", str(1024 * 1024), "1", "guest:service0", "0"],
                          check=False, capture_output=True, timeout=60, preexec_fn=small_file_limit)
    assert stats(done) == {"packets": 500, "dropped": 0, "rotations": 0}
    data = path.read_bytes()
    assert len(data) < 256 * 1024 and block_end(data) == len(data)
    assert [number(f) for f in pcapng.read(path).frames] == list(range(500))


def test_a_large_bound_is_reserved_as_the_frames_come_and_cut_at_the_end(harness, tmp_path):
    path = tmp_path / "large.pcapng"
    stats(write(harness, path, 25000, frame_len=1400, file_bytes=256 * 1024 * 1024))  # ~36 MB: three reservations
    data = path.read_bytes()
    assert 35_000_000 < len(data) < 37_000_000 and block_end(data) == len(data)
    assert [number(f) for f in pcapng.read(path).frames] == list(range(25000))


def test_a_reservation_refused_midway_leaves_the_rest_to_the_buffer(harness, tmp_path):
    def file_limit():  # the first 16 MiB are reserved, the next reservation passes the limit (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20 * 1024 * 1024, 20 * 1024 * 1024))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    path = tmp_path / "midway.pcapng"
    done = subprocess.run([str(harness), str(path), "12000", "1400", str(64 * 1024 * 1024), "1", "guest:service0",
                           "0"], check=False, capture_output=True, timeout=60, preexec_fn=file_limit)
    assert stats(done) == {"packets": 12000, "dropped": 0, "rotations": 0}  # ~17 MB, under the limit
    data = path.read_bytes()
    assert block_end(data) == len(data)
    assert [number(f) for f in pcapng.read(path).frames] == list(range(12000))


def test_a_fifo_is_written_as_a_stream(harness, tmp_path):
    fifo = tmp_path / "live.pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)  # Wireshark's part: opened first
    done = write(harness, fifo, 300, frame_len=0, file_bytes=4096)  # a bound does not apply to a stream
    streamed, _ = reader.communicate(timeout=60)
    assert done.returncode == 0, done.stderr
    stats(write(harness, tmp_path / "file.pcapng", 300, frame_len=0))
    assert streamed == (tmp_path / "file.pcapng").read_bytes()


def test_a_single_bounded_file_keeps_the_first_frames_and_counts_the_rest(harness, tmp_path):
    path = tmp_path / "bounded.pcapng"
    result = stats(write(harness, path, 1000, frame_len=100, file_bytes=8192))
    kept = pcapng.read(path).frames
    assert path.stat().st_size <= 8192
    assert [number(f) for f in kept] == list(range(len(kept)))
    assert result["dropped"] == 1000 - len(kept) > 0


def test_a_stream_carries_the_same_capture_as_a_file(harness, tmp_path):
    stats(write(harness, tmp_path / "file.pcapng", 300, frame_len=0))
    streamed = subprocess.run([str(harness), "-", "300", "0", "1000000", "4", "guest:service0", "0"],
                              check=False, capture_output=True, timeout=60)
    assert streamed.returncode == 0
    assert streamed.stdout == (tmp_path / "file.pcapng").read_bytes()  # and a stream never rotates


def test_an_interface_name_is_required(harness, tmp_path):
    done = write(harness, tmp_path / "x.pcapng", 1, ifname="")
    assert done.returncode == 1 and b"interface name" in done.stderr
