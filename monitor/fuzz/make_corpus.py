"""make_corpus: writes the fuzz targets' seed corpora (corpus/elf, corpus/guest) from the built guest images.

python3 monitor/fuzz/make_corpus.py [BIN_DIR]   (BIN_DIR: the package's testbed/_bin, where `make` put the images)
Seeds for fuzz-elf: small hand-made Solo5 images carrying the Solo5 notes of a built guest, each with one header
broken the way a hostile or careless toolchain would, plus two built guests trimmed to what the loader reads.
Seeds for fuzz-guest: fixed pseudo-random operation streams (the harness reads any bytes as operations).
Re-run after changing the image format; the output is deterministic for a given build.
"""
from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align
PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
MFT1 = 0x3154464D
ENTRY_SIZE = 104
GUEST_BASE = 0x100000
CODE = bytes([0xF4, 0xEB, 0xFD])  # hlt; jmp back to it
CODE_AT, NOTES_AT = 0x400, 0x500  # file offsets: room for 17 program headers before the code


def phdrs(image: bytes) -> list[list[int]]:
    phoff, phnum = struct.unpack_from("<Q", image, 32)[0], struct.unpack_from("<H", image, 56)[0]
    return [list(PHDR.unpack_from(image, phoff + i * PHDR.size)) for i in range(phnum)]


def notes_of(image: bytes) -> list[bytes]:
    """The contents of the image's PT_NOTE segments (ABI1 and MFT1), in file order."""
    return [image[p[2]:p[2] + p[5]] for p in sorted(phdrs(image), key=lambda p: p[2]) if p[0] == PT_NOTE]


class Image:
    """A minimal Solo5 image: code, the notes, a bss; every field can be broken before build()."""

    def __init__(self, notes: list[bytes]):
        self.notes = [bytearray(n) for n in notes]
        self.entry = GUEST_BASE + CODE_AT
        self.phoff = 64
        self.machine = 62
        self.note_pad = 0  # extra bytes before the notes: an odd value misaligns their headers
        self.extra: list[list[int]] = []

    def build(self) -> bytes:
        blob = bytearray(self.note_pad)
        note_offsets = []
        for note in self.notes:
            blob += bytes(-len(blob) % 8 if not self.note_pad else 0)
            note_offsets.append(NOTES_AT + len(blob))
            blob += note
        segments = [
            [PT_LOAD, PF_R | PF_X, CODE_AT, GUEST_BASE + CODE_AT, GUEST_BASE + CODE_AT, len(CODE), len(CODE), 0x1000],
            [PT_LOAD, PF_R, NOTES_AT, GUEST_BASE + 0x1000 + NOTES_AT, GUEST_BASE + 0x1000 + NOTES_AT, len(blob), len(blob),
             0x1000],
            [PT_LOAD, PF_R | PF_W, 0, GUEST_BASE + 0x3000, GUEST_BASE + 0x3000, 0, 0x2000, 0x1000],
        ]
        for offset, note in zip(note_offsets, self.notes):
            address = GUEST_BASE + 0x1000 + offset
            segments.append([PT_NOTE, PF_R, offset, address, address, len(note), len(note), 4])
        segments += self.extra
        self.segments = segments
        out = bytearray(NOTES_AT + len(blob))
        ident = b"\x7fELF\x02\x01\x01" + bytes(9)
        EHDR.pack_into(out, 0, ident, 2, self.machine, 1, self.entry, self.phoff, 0, 0, 64, PHDR.size,
                       len(segments), 64, 0, 0)
        for i, segment in enumerate(segments):
            if self.phoff + (i + 1) * PHDR.size <= CODE_AT:
                PHDR.pack_into(out, self.phoff + i * PHDR.size, *segment)
        out[CODE_AT:CODE_AT + len(CODE)] = CODE
        out[NOTES_AT:] = blob
        return bytes(out)

    def mft_entries(self, entries: list[tuple[str, int]]) -> None:
        """Rewrites the MFT1 note's manifest with these (name, type) entries."""
        for i, note in enumerate(self.notes):
            if struct.unpack_from("<I", note, 8)[0] != MFT1:
                continue
            head = note[:24]  # header, "Solo5\0" padded, and the descriptor's padding to 8
            body = struct.pack("<II", 1, len(entries))
            for name, kind in entries:
                body += name.encode().ljust(68, b"\0")[:68] + struct.pack("<I", kind) + bytes(ENTRY_SIZE - 72)
            struct.pack_into("<I", head, 4, 4 + len(body))  # n_descsz: the 8-alignment padding, then the manifest
            self.notes[i] = head + body


def elf_seeds(bin_dir: Path) -> dict[str, bytes]:
    real = (bin_dir / "images" / "ping-serve.hvt").read_bytes()
    notes = notes_of(real)
    seeds: dict[str, bytes] = {}

    def variant(name: str, change=None) -> None:
        image = Image(notes)
        if change:
            change(image)
        seeds[name] = image.build()

    variant("minimal")
    variant("odd-note-offset", lambda im: setattr(im, "note_pad", 1))
    variant("wrong-machine", lambda im: setattr(im, "machine", 183))
    variant("entry-outside-code", lambda im: setattr(im, "entry", GUEST_BASE + 0x3000))
    variant("phdrs-unaligned", lambda im: setattr(im, "phoff", 65))
    variant("mft-two-devices", lambda im: im.mft_entries([("service0", 2), ("storage", 1)]))
    variant("mft-duplicate-names", lambda im: im.mft_entries([("service0", 2), ("service0", 2)]))
    variant("mft-64-entries", lambda im: im.mft_entries([(f"n{i}", 2) for i in range(64)]))
    variant("mft-unknown-type", lambda im: im.mft_entries([("weird", 7)]))
    variant("mft-long-name", lambda im: im.mft_entries([("x" * 80, 2)]))
    big = 0x7FFFFFFF
    variant("overlap", lambda im: im.extra.append([PT_LOAD, PF_R, CODE_AT, GUEST_BASE + CODE_AT, GUEST_BASE + CODE_AT,
                                                   8, 0x100, 0x1000]))
    variant("filesz-over-memsz", lambda im: im.extra.append([PT_LOAD, PF_R, 0x100, GUEST_BASE + 0x8000,
                                                             GUEST_BASE + 0x8000, 0x40, 0x20, 0]))
    variant("segment-past-ram", lambda im: im.extra.append([PT_LOAD, PF_R | PF_W, 0, GUEST_BASE + 0x9000,
                                                            GUEST_BASE + 0x9000, 0, big, 0]))
    variant("segment-below-1mib", lambda im: im.extra.append([PT_LOAD, PF_R, 0x100, 0x100, 0x100, 8, 8, 0]))
    variant("segment-wraps", lambda im: im.extra.append([PT_LOAD, PF_R, 0, 2**64 - 0x1000, 2**64 - 0x1000, 0,
                                                         0x2000, 0]))
    variant("bad-alignment", lambda im: im.extra.append([PT_LOAD, PF_R, 0x100, GUEST_BASE + 0xA100,
                                                         GUEST_BASE + 0xA100, 8, 8, 0x3000]))
    variant("contents-past-eof", lambda im: im.extra.append([PT_LOAD, PF_R, 0x1F0, GUEST_BASE + 0xB1F0,
                                                             GUEST_BASE + 0xB1F0, 0x10000, 0x10000, 0x10]))
    variant("note-past-eof", lambda im: im.extra.append([PT_NOTE, PF_R, NOTES_AT, 0, 0, 0x10000, 0x10000, 4]))

    def huge_note(im: Image) -> None:
        struct.pack_into("<I", im.notes[0], 4, 0xFFFFFFF0)  # n_descsz of the ABI1 note
    variant("note-descsz-huge", huge_note)
    for name in ("ping-serve", "hello"):
        seeds[f"trimmed-{name}"] = trimmed(bin_dir / "images" / f"{name}.hvt")
    return seeds


def trimmed(path: Path) -> bytes:
    """A built guest without its section headers and debug info: only what the loader reads."""
    image = bytearray(path.read_bytes())
    end = max(p[2] + p[5] for p in phdrs(bytes(image)) if p[0] in (PT_LOAD, PT_NOTE))
    struct.pack_into("<Q", image, 40, 0)      # e_shoff
    struct.pack_into("<HH", image, 60, 0, 0)  # e_shnum, e_shstrndx
    return bytes(image[:end])


def guest_seeds() -> dict[str, bytes]:
    """Operation streams for fuzz-guest: random ones of several lengths, and runs of each operation alone."""
    rng = random.Random(14)
    seeds = {f"random-{n}": rng.randbytes(n) for n in (16, 64, 256, 1024)}
    for op in range(8):
        seeds[f"op{op}-repeated"] = bytes([7, 2, 1, 1]) + bytes(rng.randbytes(3) + bytes([op])) * 40
    return seeds


def write(folder: Path, seeds: dict[str, bytes], suffix: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, data in seeds.items():
        (folder / f"{name}{suffix}").write_bytes(data)
    print(f"{folder}: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")


def main(argv: list[str]) -> int:
    bin_dir = Path(argv[0]) if argv else HERE.parents[1] / "testbed" / "_bin"
    write(HERE / "corpus" / "elf", elf_seeds(bin_dir), ".hvt")
    write(HERE / "corpus" / "guest", guest_seeds(), ".bin")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
