"""topology.text_file: reads a topology file as UTF-8 text, refusing what is not a small regular text file."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from testbed.errors import Problem, TopologyError

# A thousand-node topology is ~150 KiB; a cap keeps a runaway file from costing seconds or memory.
MAX_BYTES = 4 << 20
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"


def read_text(path: str | Path) -> str:
    """The file's text; TopologyError (one FILE[:LINE:COL]: message) when it cannot be a topology."""
    filename = str(path)
    raw = _read_bytes(path, filename)
    return decode(raw, filename)


def _read_bytes(path: str | Path, filename: str) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _error(filename, f"cannot read: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _error(filename, "is a directory, not a topology file")
        if not stat.S_ISREG(mode):
            raise _error(filename, "is not a regular file (a FIFO, device or socket): give a topology file")
        raw = _read_at_most(fd, MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise _error(filename, f"is larger than {MAX_BYTES >> 20} MiB: a topology file is a few KiB")
    return raw


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit and (chunk := os.read(fd, limit - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def decode(raw: bytes, filename: str) -> str:
    """UTF-8 text; NUL bytes, UTF-16 and invalid UTF-8 are refused at their line and column."""
    if raw.startswith(UTF16_BOMS):
        raise _error(filename, "is UTF-16 text: save it as UTF-8")
    raw = raw.removeprefix(UTF8_BOM)
    nul = raw.find(b"\0")
    if nul >= 0:
        raise _error_at(raw, nul, filename, "a NUL byte: a topology is UTF-8 text (is this a binary or UTF-16 file?)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error_at(raw, exc.start, filename, f"byte 0x{raw[exc.start]:02x} is not UTF-8: save the file as UTF-8") from None


def line_and_column(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[line_start:offset].decode("utf-8", "replace")) + 1


def _error_at(raw: bytes, offset: int, filename: str, message: str) -> TopologyError:
    line, col = line_and_column(raw, offset)
    return TopologyError.from_problems([Problem(filename, line, col, "", message)])


def _error(filename: str, message: str) -> TopologyError:
    return TopologyError.from_problems([Problem(filename, None, None, "", message)])
