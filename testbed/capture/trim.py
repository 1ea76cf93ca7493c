"""capture.trim: at `down`, cuts each capture file the run recorded to its last whole pcapng block (a killed writer
leaves reserved zeros, or a reused ring file's older frames, after its last frame)."""
from __future__ import annotations

import fcntl
import mmap
import os
import stat
import struct
import time
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
# frames a merging tb-capture wrote slightly out of order (it waits at most 60 ms for its other ring). Only the ring
# file written last is judged so: the writer cut every file it left, a single file is never reused, and a wall-clock
# step back in a file that needs no trim must not cost it its frames.
STALE_MARGIN_NS = 1_000_000_000
LOCK_WAIT_S = 10.0  # a trim takes well under a second per 100 MiB
HEADERS_MAX = 4096  # read for a file's first frame: our writers' SHB and IDB take a few hundred bytes


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

    names = ring_files(path, files)
    reused = written_last(names) if files > 1 else None
    for name in names:
        try:
            trim_file(name, reused=name == reused)
        except (OSError, ValueError):  # ValueError: mmap of a file that shrank after its size was read
            pass


def written_last(names: list) -> object | None:
    """The ring file with the newest first frame: the one the writer was on when it stopped, the only one that can
    still hold an older pass's frames after its own."""
    stamps = {}
    for name in names:
        try:
            stamps[name] = first_stamp(name)
        except OSError:
            pass
    stamped = [name for name, stamp in stamps.items() if stamp is not None]
    return max(stamped, key=stamps.__getitem__) if stamped else None


def first_stamp(path: str | os.PathLike) -> int | None:
    """The timestamp of the file's first frame; None without one, or when it is not a pcapng file of ours."""
    fd = _open_regular(path, os.O_RDONLY)
    if fd is None:
        return None
    try:
        data = os.pread(fd, HEADERS_MAX, 0)
    finally:
        os.close(fd)
    order = _byte_order(data)
    if order is None:
        return None
    head, offset = struct.Struct(order + "IIIII"), 0
    while offset + MIN_BLOCK <= len(data):
        kind, length, _, high, low = head.unpack_from(data, offset)
        if kind == BLOCK_EPB:
            return (high << 32) | low
        if length < MIN_BLOCK or length & 3:
            return None
        offset += length
    return None


def _open_regular(path: str | os.PathLike, flags: int) -> int | None:
    """A descriptor of the file when it is a regular one; a FIFO or device is never opened (that may block or act on
    it), nor a symlink."""
    if not stat.S_ISREG(os.lstat(path).st_mode):
        return None
    return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)


def trim_file(path: str | os.PathLike, reused: bool = False) -> int | None:
    """Cuts the file after its last whole block (and, in a reused ring file, before its older pass's frames); returns
    its new length, None when it was left as it was."""
    fd = _open_regular(path, os.O_RDWR)
    if fd is None:
        return None
    try:
        if not _lock(fd):
            return None
        info = os.fstat(fd)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or size < MIN_BLOCK:
            return None
        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as data:
            end = whole_length(data, reused)
        if end is None or end == size:
            return None
        os.ftruncate(fd, end)
        return end
    finally:
        os.close(fd)


def _lock(fd: int) -> bool:
    """`down` and `testbed capture`, whose tool it kills, trim the same file at once: one cutting it while the other
    walks its mapping would be SIGBUS there, ending that teardown. The writers take no lock; whoever holds it past
    LOCK_WAIT_S (not a trimmer) keeps its file as it is rather than hold up a teardown."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)


def whole_length(data, reused: bool = False) -> int | None:
    """Bytes up to the end of the last whole block: an SHB first, then IDBs and EPBs whose two lengths agree (in a
    reused ring file, up to the first frame older than its first); None when it is not a file our writers made: no
    section header first, or a whole block of another kind."""
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
        if length < MIN_BLOCK or length & 3 or end > size or trailer.unpack_from(data, end - 4)[0] != length:
            break
        if kind not in expected:  # a whole block our writers never write (statistics, names, a second section):
            return None  # another tool's file where ours was to be (a capture that failed to start), left as it is
        if kind == BLOCK_EPB:
            ts = (high << 32) | low
            if first_ts is None:
                first_ts = ts
            elif reused and ts + STALE_MARGIN_NS < first_ts:
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
