"""test_pcapng_header_failure: a ring written through its buffer (reservations refused) whose rotations cannot
rewrite a reused file's headers (writes at offset 0 fail with EIO under a seccomp filter, as on a full copy-on-write
file system): the file still starts with the headers it got at open and the frames follow them. Before, the rotation
failed with the writer left at offset 0 of the next file: every later frame was lost here (its writes at 0 failed),
and where such writes work again the frames would have gone over the headers."""
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
    exe = tmp_path_factory.mktemp("pcapng_failing") / "pcapng_failing_harness"
    subprocess.run(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-D_GNU_SOURCE", f"-I{LIB}",
                    str(Path(__file__).with_name("pcapng_failing_harness.c")), str(LIB / "pcapng.c"), "-lseccomp",
                    "-o", str(exe)], check=True)
    return exe


def test_a_rotation_that_cannot_rewrite_the_headers_keeps_the_files_whole(harness, tmp_path):
    path = tmp_path / "ring.pcapng"
    done = subprocess.run([str(harness), str(path), "8192", "3", "200", "100"], check=False, capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr) == {"packets": 200, "dropped": 0, "rotations": 3}
    files = [tmp_path / f"ring.{i}.pcapng" for i in range(3)]
    captures = [pcapng.read(f) for f in files]  # raises on a file that does not start with its headers
    assert all(c.ifname == "failing" for c in captures)
    numbers = sorted(struct.unpack_from("<I", frame.data)[0] for c in captures for frame in c.frames)
    assert numbers[-1] == 199 and numbers == list(range(numbers[0], 200))
    assert all(f.stat().st_size <= 8192 for f in files)
