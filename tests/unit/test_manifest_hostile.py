"""The image manifest reader against files that are not small images: a FIFO, a device, a 2 GiB image, absurd
headers. It must answer (names or None) at once and in bounded memory, reading headers and notes only."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

from test_loader_fake_images import solo5_image
from testbed.topology.rules.manifest import manifest_nics

HANG_GUARD_SECONDS = 20
MAX_RSS_BYTES = 100 << 20


def nics_in_child(path: Path) -> tuple[str, int]:
    """manifest_nics(path) in a fresh interpreter: its answer and the child's peak RSS (a hang fails the timeout).
    The peak is VmHWM, its own address space's: ru_maxrss would include the parent's, carried across exec."""
    code = ("import re, sys; from pathlib import Path; from testbed.topology.rules.manifest import manifest_nics;"
            "answer = manifest_nics(Path(sys.argv[1]));"
            "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1);"
            "print(answer, int(hwm) * 1024)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                         timeout=HANG_GUARD_SECONDS).stdout.split()
    return " ".join(out[:-1]), int(out[-1])


def test_a_fifo_is_not_waited_on(tmp_path):
    fifo = tmp_path / "image.hvt"
    os.mkfifo(fifo)
    assert nics_in_child(fifo)[0] == "None"


def test_a_device_is_not_read():
    answer, peak = nics_in_child(Path("/dev/zero"))
    assert answer == "None" and peak < MAX_RSS_BYTES


def test_a_2_gib_image_costs_its_headers_only(tmp_path):
    image = solo5_image(tmp_path / "big.hvt", ["service0"])
    os.truncate(image, 2 << 30)
    answer, peak = nics_in_child(image)
    assert answer == "['service0']"
    assert peak < MAX_RSS_BYTES, f"peak RSS {peak >> 20} MiB"  # reading it whole took 2.1 GB


def _patch(image: Path, offset: int, fmt: str, *values) -> None:
    data = bytearray(image.read_bytes())
    struct.pack_into(fmt, data, offset, *values)
    image.write_bytes(bytes(data))


def test_a_huge_note_segment_is_not_read(tmp_path):
    image = solo5_image(tmp_path / "a.hvt", ["service0"])
    _patch(image, 64 + 32, "<Q", 1 << 40)  # the PT_NOTE's p_filesz: a terabyte
    assert manifest_nics(image) is None


def test_an_absurd_program_header_count_is_not_read(tmp_path):
    image = solo5_image(tmp_path / "a.hvt", ["service0"])
    _patch(image, 56, "<H", 65535)  # e_phnum
    assert manifest_nics(image) is None


def test_a_directory_gives_none(tmp_path):
    assert manifest_nics(tmp_path) is None


def test_validate_names_an_image_that_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "image.hvt")
    topology = tmp_path / "lab.yaml"
    topology.write_text("name: lab\nnodes:\n  g: {kind: unikernel, image: ./image.hvt}\n")
    done = subprocess.run([sys.executable, "-m", "testbed.cli", "validate", str(topology)], capture_output=True,
                          text=True, check=False, timeout=HANG_GUARD_SECONDS)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"{topology}:3:31: nodes.g.image: image file {tmp_path}/image.hvt is not a regular "
                                   "file: an image is a guest ELF built for the monitor")
