"""test_monitor_block: block devices: real I/O to the backing file at each sector size, the guest's bad requests
refused, bad buffers stopped, and every unusable file or option refused before the guest runs."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testbed import paths

EXIT_SOLO5, EXIT_CONFIG, EXIT_FAULT = 1, 125, 126
HOST_FILL = 0x5A  # what block-io expects to find in the file before it writes


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(paths.monitor_path()), *argv], capture_output=True, text=True, timeout=60)


def backing_file(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "storage.img"
    path.write_bytes(bytes([HOST_FILL]) * size)
    return path


def pattern(sector: int) -> int:
    return sector % 251 + 1  # block-io's pattern for each sector


@pytest.mark.parametrize("sector", [512, 4096, 32768])
def test_block_io_at_each_sector_size(kvm, tmp_path, sector):
    disk = backing_file(tmp_path, 4 * sector)
    stats_path = tmp_path / "stats.json"
    argv = [f"--stats={stats_path}", f"--block:storage={disk}"]
    if sector != 512:  # 512 is the default
        argv.append(f"--block-sector-size:storage={sector}")
    proc = run(*argv, str(paths.test_image("block-io")))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    # Handle 1: the reserved entry Solo5's elftool writes first holds index 0.
    assert f"block-io: handle=1 capacity={4 * sector} sector={sector}" in proc.stdout
    assert "block-io: OK" in proc.stdout
    data = disk.read_bytes()
    assert len(data) == 4 * sector
    for s in range(4):
        assert data[s * sector:(s + 1) * sector] == bytes([pattern(s)]) * sector, f"sector {s} in the file"
    stats = json.loads(stats_path.read_text())
    dev = stats["blocks"]["storage"]
    assert dev["capacity"] == 4 * sector and dev["sector_size"] == sector
    assert dev["writes"] == 4 and dev["write_bytes"] == 4 * sector
    assert dev["reads"] == 1 + 4 + 1 and dev["read_bytes"] == (1 + 4 + 2) * sector
    assert dev["refused"] == 2 * 7  # block-io's seven bad requests, each as a read and a write
    assert stats["hypercalls"]["block_write"] == 4 + 7
    assert stats["hypercalls"]["block_read"] == 6 + 7


@pytest.mark.parametrize("arg, message", [
    ("bad-buffer", "block_read hypercall: buffer 0x7fff00000000, length 0x200 is outside guest memory"),
    ("into-code", "is in the guest's read-only memory"),
])
def test_bad_buffers_stop_the_guest(kvm, tmp_path, arg, message):
    disk = backing_file(tmp_path, 4096)
    proc = run(f"--block:storage={disk}", str(paths.test_image("block-io")), arg)
    assert proc.returncode == EXIT_FAULT, proc.stderr
    assert proc.stderr.startswith("tb-monitor: guest fault: ") and message in proc.stderr, proc.stderr
    assert disk.read_bytes() == bytes([HOST_FILL]) * 4096


@pytest.mark.parametrize("size, sector, status, message", [
    (6144, 4096, EXIT_SOLO5, "storage: Backing storage size must be block aligned (4096 bytes)"),
    (0, 512, EXIT_SOLO5, "storage: Backing storage must be at least 1 block (512 bytes) in size"),
    (1563, 521, EXIT_SOLO5, "Block size must be a multiple of 2 greater than or equal 512"),
    (256, 256, EXIT_SOLO5, "Block size must be a multiple of 2 greater than or equal 512"),
    (65536, 65536, EXIT_SOLO5, "Block size must be a multiple of 2 greater than or equal 512"),
    (4096, "x", EXIT_CONFIG, "--block-sector-size:storage=x: not a number"),
])
def test_unusable_backing_or_sector_size(kvm, tmp_path, size, sector, status, message):
    """solo5-hvt's statuses and words (Solo5's test suite checks them), before the guest runs."""
    disk = backing_file(tmp_path, size)
    proc = run(f"--block:storage={disk}", f"--block-sector-size:storage={sector}", str(paths.test_image("block-io")))
    assert proc.returncode == status, proc.stderr
    assert proc.stdout == "" and len(proc.stderr.splitlines()) == 1 and message in proc.stderr, proc.stderr


@pytest.mark.parametrize("argv, status, message", [
    (["--block:storage=/nonexistent/disk.img"], EXIT_SOLO5, "--block:storage: cannot open /nonexistent/disk.img"),
    (["--block:storage=/dev/null"], EXIT_SOLO5, "/dev/null: not a regular file"),
    ([], EXIT_CONFIG, "the guest needs block device 'storage': give --block:storage=PATH"),
    (["--block:storage"], EXIT_CONFIG, "expected --block:NAME=PATH"),
    (["--block:other=x.img"], EXIT_CONFIG, "--block:other: the guest's manifest has no device 'other'"),
    (["--block:storage=a.img", "--block:storage=b.img"], EXIT_CONFIG, "device 'storage' given twice"),
    (["--block-sector-size:storage=4096"], EXIT_CONFIG, "no --block:storage=... option"),
    (["--net:storage=tap0"], EXIT_CONFIG, "--net:storage: the guest's device 'storage' is a block device"),
])
def test_bad_block_options(kvm, argv, status, message):
    proc = run(*argv, str(paths.test_image("block-io")))
    assert proc.returncode == status, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and message in proc.stderr, proc.stderr


def test_too_many_block_devices_refused(kvm):
    argv = [f"--block:d{i}=x.img" for i in range(65)]
    proc = run(*argv, str(paths.test_image("block-io")))
    assert proc.returncode == EXIT_CONFIG and "too many --block options (at most 64)" in proc.stderr, proc.stderr
