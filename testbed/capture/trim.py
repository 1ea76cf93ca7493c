"""capture.trim: at `down`, cuts each capture file the run recorded to its last whole pcapng block (a killed writer
leaves reserved zeros, or a reused ring file's older frames, after its last frame)."""
from __future__ import annotations

import mmap
import os
import stat
import struct
from typing import TYPE_CHECKING

from testbed.down.state import RunDir

if TYPE_CHECKING:
    from testbed.capture.points import CapturePoint

KIND = "capture"  # the run's state object for a capture's file or ring of files
BLOCK_SHB, BLOCK_IDB, BLOCK_EPB = 0x0A0D0D0A, 1, 6
BYTE_ORDER_MAGIC = 0x1A2B3C4D
MIN_BLOCK = 12  # type, length, trailing length
# A reused ring file still holds its previous pass's frames after the new ones; when a kill lands them on a block
# boundary they are whole blocks, told apart only by being older than the file's first frame. The margin keeps
# frames a merging tb-capture wrote slightly out of order (it waits at most 60 ms for its other ring).
STALE_MARGIN_NS = 1_000_000_000


def record_files(run: RunDir, points: list[CapturePoint]) -> None:
    """Before the writers start: `down` trims exactly these files."""
    run.record_all(KIND, [{"path": p.path, "files": p.files} for p in points])


def record_file(run: RunDir, path: str, files: int) -> None:
    run.record(KIND, path=os.path.abspath(path), files=files)


def trim_run(run: RunDir) -> None:
    """Every recorded capture file, once its writers are gone. A file that is missing, not a regular file or not
    pcapng (a FIFO, /dev/null) is left alone; trimming never stops a teardown."""
    for record in run.read()["objects"]:
        if record["kind"] == KIND:
            trim_ring(record["path"], record["files"])


def trim_ring(path: str, files: int) -> None:
    from testbed.capture.points import ring_files  # here: `down` without captures skips the schema's import

    for name in ring_files(path, files):
        try:
            trim_file(name)
        except OSError:
            pass


def trim_file(path: str | os.PathLike) -> int | None:
    """Cuts the file after its last whole block; returns its new length, None when it was left as it was."""
    if not stat.S_ISREG(os.lstat(path).st_mode):
        return None  # a FIFO or device is never opened: opening one may block or act on it
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or size < MIN_BLOCK:
            return None
        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as data:
            end = whole_length(data)
        if end is None or end == size:
            return None
        os.ftruncate(fd, end)
        return end
    finally:
        os.close(fd)


def whole_length(data) -> int | None:
    """Bytes up to the end of the last whole block: an SHB first, then IDBs and EPBs whose two lengths agree; None
    when data does not start with a section header (not a file our writers made)."""
    order = _byte_order(data)
    if order is None:
        return None
    offset, first_ts = 0, None
    while offset + MIN_BLOCK <= len(data):
        kind, length = struct.unpack_from(order + "II", data, offset)
        expected = (BLOCK_SHB,) if offset == 0 else (BLOCK_IDB, BLOCK_EPB)
        if kind not in expected or length < MIN_BLOCK or length % 4 or offset + length > len(data):
            break
        if struct.unpack_from(order + "I", data, offset + length - 4)[0] != length:
            break
        if kind == BLOCK_EPB and length >= 28:
            high, low = struct.unpack_from(order + "II", data, offset + 12)
            ts = (high << 32) | low
            first_ts = ts if first_ts is None else first_ts
            if ts + STALE_MARGIN_NS < first_ts:
                break
        offset += length
    return offset


def _byte_order(data) -> str | None:
    if len(data) < MIN_BLOCK or data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    for order in "<>":
        if struct.unpack_from(order + "I", data, 8)[0] == BYTE_ORDER_MAGIC:
            return order
    return None
