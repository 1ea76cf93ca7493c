"""test_pcapng_bounds: monitor/lib/pcapng.c given frames larger than what a ring's file can hold after its headers
(a jumbo frame, a GSO frame a packet socket sees whole on a veth) next to small ones: such a frame is dropped and
counted, never built past a file's bound (a mapped file has no page there: the store lands in whatever is mapped
next, or faults). Built with AddressSanitizer where gcc has it, so a store past the mapping also fails the test."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from framework import pcapng

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "monitor" / "lib"


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the pcapng harness")
    exe = tmp_path_factory.mktemp("pcapng_bounds") / "pcapng_lengths_harness"
    sources = [str(Path(__file__).with_name("pcapng_lengths_harness.c")), str(LIB / "pcapng.c")]
    flags = ["-O1", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-D_GNU_SOURCE", f"-I{LIB}"]
    built = subprocess.run(["gcc", *flags, "-fsanitize=address", *sources, "-o", str(exe)], check=False,
                           capture_output=True)
    if built.returncode != 0:  # no libasan: the file checks below still see a block cut at the bound
        subprocess.run(["gcc", *flags, *sources, "-o", str(exe)], check=True)
    return exe


def run(harness, path: Path, file_bytes: int, files: int, lengths: list[int], snaplen: int = 0) -> dict:
    done = subprocess.run([str(harness), str(path), str(file_bytes), str(files), str(snaplen), *map(str, lengths)],
                          check=False, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stderr.decode().splitlines()[-1])


def numbers(path: Path) -> list[int]:
    return [struct.unpack_from("<I", f.data)[0] for f in pcapng.read(path).frames]


@pytest.mark.parametrize("big", [4097, 9000, 65535])
def test_a_frame_larger_than_a_ring_file_is_dropped_without_rotating(harness, tmp_path, big):
    path = tmp_path / "ring.pcapng"
    lengths = [60, big, 60, big, 60]
    result = run(harness, path, 4096, 2, lengths)
    files = [tmp_path / f"ring.{i}.pcapng" for i in range(2)]
    assert all(f.stat().st_size <= 4096 for f in files)
    assert numbers(files[0]) == [0, 2, 4] and numbers(files[1]) == []  # every file whole: read raises otherwise
    assert result == {"packets": 3, "dropped": 2, "rotations": 0}


def test_a_frame_that_fits_an_empty_file_still_rotates_the_ring(harness, tmp_path):
    path = tmp_path / "fit.pcapng"
    result = run(harness, path, 8192, 3, [60, 60, 8000, 60, 8000, 60])  # an 8000-byte frame fills a file alone
    files = [tmp_path / f"fit.{i}.pcapng" for i in range(3)]
    assert all(f.stat().st_size <= 8192 for f in files)
    assert [numbers(f) for f in files] == [[4], [5], [3]]  # wrapped: files 0 and 1 reused
    assert result == {"packets": 6, "dropped": 0, "rotations": 4}


def test_a_snaplen_lets_a_large_frame_fit(harness, tmp_path):
    path = tmp_path / "snap.pcapng"
    result = run(harness, path, 4096, 2, [60, 9000, 60], snaplen=1500)
    files = [tmp_path / f"snap.{i}.pcapng" for i in range(2)]
    assert [numbers(f) for f in files] == [[0, 1, 2], []]
    assert [f.length for f in pcapng.read(files[0]).frames] == [60, 9000, 60]
    assert result == {"packets": 3, "dropped": 0, "rotations": 0}
