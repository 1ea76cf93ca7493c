"""Stand-in Solo5 images (an ELF64 with only an MFT1 manifest note) and the manifest reader tested against them."""
from __future__ import annotations

import struct
from pathlib import Path

from testbed.topology.rules.manifest import manifest_nics

MFT1, PT_NOTE, EHDR_SIZE, PHDR_SIZE = 0x3154464D, 4, 64, 56
MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC = 1, 2


def solo5_image(path: Path, nics: list[str], blocks: list[str] = ()) -> Path:
    """Enough of a Solo5 hvt image for the loader: its manifest declares `nics` (and `blocks`)."""
    devices = [(name, MFT_DEV_NET_BASIC) for name in nics] + [(name, MFT_DEV_BLOCK_BASIC) for name in blocks]
    entries = b"".join(name.encode().ljust(68, b"\0") + struct.pack("<I", kind) + bytes(32) for name, kind in devices)
    manifest = struct.pack("<II", 1, len(devices)) + entries
    # The descriptor starts 20 bytes into the note; struct mft is 8-aligned, so 4 bytes of padding come first.
    note = struct.pack("<III", 6, 4 + len(manifest), MFT1) + b"Solo5\0\0\0" + bytes(4) + manifest
    note_offset = EHDR_SIZE + PHDR_SIZE
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 2, 62, 1, 0x100000, EHDR_SIZE, 0, 0, EHDR_SIZE, PHDR_SIZE, 1, 0, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", PT_NOTE, 4, note_offset, 0, 0, len(note), len(note), 4)
    path.write_bytes(ehdr + phdr + note)
    return path


def test_manifest_lists_network_devices_in_order(tmp_path):
    image = solo5_image(tmp_path / "a.hvt", ["service0", "service1"], blocks=["storage"])
    assert manifest_nics(image) == ["service0", "service1"]


def test_an_image_without_devices_has_an_empty_manifest(tmp_path):
    assert manifest_nics(solo5_image(tmp_path / "a.hvt", [])) == []


def test_a_file_without_a_manifest_gives_none(tmp_path):
    elf = tmp_path / "plain.elf"
    elf.write_bytes(b"\x7fELF" + bytes(60))
    text = tmp_path / "text"
    text.write_text("hello\n")
    assert manifest_nics(elf) is None and manifest_nics(text) is None and manifest_nics(tmp_path / "nope") is None


def test_a_truncated_manifest_gives_none(tmp_path):
    image = solo5_image(tmp_path / "a.hvt", ["service0"])
    image.write_bytes(image.read_bytes()[:150])
    assert manifest_nics(image) is None
