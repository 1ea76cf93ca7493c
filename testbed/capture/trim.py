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
MIN_BLOCK = 20  # the smallest block our writers make (an IDB without options); an EPB has 32 bytes and more
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
    # One unpack per block reads its type, length and (an EPB's) timestamp: the walk costs ~0.1 s per 16 MiB of
    # 100-byte frames, paid at `down` for every recorded file.
    head, trailer = struct.Struct(order + "IIIII"), struct.Struct(order + "I")
    offset, size, first_ts, expected = 0, len(data), None, (BLOCK_SHB,)
    while offset + MIN_BLOCK <= size:
        kind, length, _, high, low = head.unpack_from(data, offset)
        end = offset + length
        if kind not in expected or length < MIN_BLOCK or length & 3 or end > size:
            break
        if trailer.unpack_from(data, end - 4)[0] != length:
            break
        if kind == BLOCK_EPB:
            ts = (high << 32) | low
            if first_ts is None:
                first_ts = ts
            elif ts + STALE_MARGIN_NS < first_ts:
                break
        offset, expected = end, (BLOCK_IDB, BLOCK_EPB)
    return offset


def _byte_order(data) -> str | None:
    if len(data) < MIN_BLOCK or data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    for order in "<>":
        if struct.unpack_from(order + "I", data, 8)[0] == BYTE_ORDER_MAGIC:
            return order
    return None
