"""topology.rules.manifest: reads the network device names from a Solo5 image's MFT1 manifest note (ELF64, x86_64)."""
from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

# Facts from Solo5's elf_abi.h and mft_abi.h (see monitor/include/tb_abi.h for the same layout in C).
PT_NOTE = 4
NOTE_NAME = b"Solo5\0"
MFT_NOTE_TYPE = 0x3154464D  # "MFT1"
MFT_ENTRY_SIZE = 104
MFT_NAME_SIZE = 68
MFT_DEV_NET_BASIC = 2
MFT_ALIGN = 8  # struct mft is 8-aligned within the note, so its descriptor starts with padding


MAX_PHDRS = 64  # the monitor's limit too
MAX_NOTE_SEGMENT = 64 << 10  # a manifest is at most 8 + 64 * 104 bytes; notes beside it are small


def manifest_nics(image: Path) -> list[str] | None:
    """The manifest's network device names, in order; None if the file has no readable manifest.

    Reads the ELF header, the program headers and the note segments only, each bounded, from a file opened without
    blocking and checked to be a regular file: a FIFO, a device or a multi-GiB image costs no more than a small one."""
    try:
        fd = os.open(image, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        for offset, size in _note_segments(fd):
            descriptor = _find_note(os.pread(fd, size, offset))
            if descriptor is not None:
                return _net_names(descriptor)
    except (OSError, struct.error, ValueError):
        pass  # not ours to diagnose: the monitor says exactly what is wrong with the file
    finally:
        os.close(fd)
    return None


def _note_segments(fd: int) -> list[tuple[int, int]]:
    ehdr = os.pread(fd, 64, 0)
    if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:  # ELFCLASS64, little-endian
        return []
    phoff, = struct.unpack_from("<Q", ehdr, 32)
    phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
    if phentsize != 56 or phnum > MAX_PHDRS:
        return []
    table = os.pread(fd, phentsize * phnum, phoff)
    segments = []
    for index in range(phnum):
        p_type, _flags, p_offset, _vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", table, index * phentsize)
        if p_type == PT_NOTE and p_filesz <= MAX_NOTE_SEGMENT:
            segments.append((p_offset, p_filesz))
    return segments


def _find_note(segment: bytes) -> bytes | None:
    offset = 0
    while offset + 12 <= len(segment):
        namesz, descsz, note_type = struct.unpack_from("<III", segment, offset)
        desc_start = offset + 12 + _align(namesz, 4)
        name = segment[offset + 12:offset + 12 + namesz]
        if note_type == MFT_NOTE_TYPE and name == NOTE_NAME:
            padding = _align(desc_start - offset, MFT_ALIGN) - (desc_start - offset)
            return segment[desc_start + padding:desc_start + descsz]
        offset = desc_start + _align(descsz, 4)
    return None


def _net_names(descriptor: bytes) -> list[str]:
    _version, entries = struct.unpack_from("<II", descriptor, 0)
    names = []
    for index in range(entries):
        entry = 8 + index * MFT_ENTRY_SIZE
        raw_name = descriptor[entry:entry + MFT_NAME_SIZE]
        device_type, = struct.unpack_from("<I", descriptor, entry + MFT_NAME_SIZE)
        if device_type == MFT_DEV_NET_BASIC:
            names.append(raw_name.split(b"\0", 1)[0].decode("ascii", "replace"))
    return names


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment
