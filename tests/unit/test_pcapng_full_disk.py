"""test_pcapng_full_disk: monitor/lib/pcapng.c on a small ext4 file system (a loop mount in a private mount
namespace) with little room left: a mapped file's refused reservation gives back what ext4 allocated before it
failed, so the buffered writes after it still find room; once the disk is really full the frames that could not be
written are counted as dropped and the file ends at its last whole block."""
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
IMAGE_MB = 16


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the pcapng harness")
    exe = tmp_path_factory.mktemp("pcapng_full") / "pcapng_lengths_harness"
    subprocess.run(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-D_GNU_SOURCE", f"-I{LIB}",
                    str(Path(__file__).with_name("pcapng_lengths_harness.c")), str(LIB / "pcapng.c"), "-o", str(exe)],
                   check=True)
    return exe


def capture_on_small_disk(harness, tmp_path: Path, free_kib: int, frames: int, frame_len: int) -> tuple[dict, bytes]:
    """One bounded (64 MiB) file written on a fresh 16 MiB ext4 with about free_kib KiB left: (stats, the file)."""
    for tool in ("mkfs.ext4", "unshare", "mount"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed for a small file system")
    image, mount, out = tmp_path / "fs.img", tmp_path / "mnt", tmp_path / "out.pcapng"
    with image.open("wb") as f:
        f.truncate(IMAGE_MB * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-m", "0", str(image)], check=True)
    mount.mkdir()
    argv = [str(harness), f"{mount}/c.pcapng", str(64 * 1024 * 1024), "1", "0", *[str(frame_len)] * frames]
    script = (  # the namespace's end unmounts it and frees the loop device (autoclear)
        f'mount -o loop "{image}" "{mount}" || exit 97\n'
        f'avail=$(df -k --output=avail "{mount}" | tail -1)\n'
        f'fallocate -l $(( (avail - {free_kib}) * 1024 )) "{mount}/filler" || exit 98\n'
        f'"$@" 2> "{tmp_path}/stats"; rc=$?\n'
        f'cp "{mount}/c.pcapng" "{out}"; exit $rc\n')
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *argv],
                          check=False, capture_output=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr.decode(errors="replace"))
    return json.loads((tmp_path / "stats").read_text().splitlines()[-1]), out.read_bytes()


def numbers(data: bytes) -> list[int]:
    return [struct.unpack_from("<I", f.data)[0] for f in pcapng.read(data).frames]  # raises on a damaged end


def test_a_reservation_refused_for_lack_of_room_leaves_the_room_to_the_buffer(root, harness, tmp_path):
    stats, data = capture_on_small_disk(harness, tmp_path, free_kib=4096, frames=2000, frame_len=1000)
    assert stats == {"packets": 2000, "dropped": 0, "rotations": 0}
    assert numbers(data) == list(range(2000))


def test_frames_a_full_disk_refuses_are_dropped_and_the_file_stays_whole(root, harness, tmp_path):
    stats, data = capture_on_small_disk(harness, tmp_path, free_kib=1024, frames=3000, frame_len=1000)
    kept = numbers(data)
    assert 0 < len(kept) < 3000 and kept == list(range(len(kept)))
    assert stats == {"packets": len(kept), "dropped": 3000 - len(kept), "rotations": 0}
