"""test_monitor_solo5_compat: the structural facts of Solo5's own hvt unikernels, rebuilt from our test guests:
an empty PT_LOAD at address 0, a manifest starting with the reserved entry, --mem=4096, a store to .text
trapped as solo5-hvt reports it, and --dumpcore's core file."""
from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest

from testbed import paths

EXIT_SOLO5, EXIT_CONFIG = 1, 125
PT_LOAD, PT_NOTE, PF_R = 1, 4, 4
MFT1 = 0x3154464D
PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align
CMDLINE_GPA = 0x13000  # where the monitor puts the guest's command line (tb_abi.h)


def run(*argv: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(paths.monitor_path()), *argv], capture_output=True, text=True, timeout=timeout)


def with_empty_load(image: Path, out: Path, offset: int) -> Path:
    """`image` plus one more program header: a PT_LOAD of size 0 at address 0, as Solo5's linker script leaves."""
    data = bytearray(image.read_bytes())
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    end = phoff + phnum * PHDR.size
    assert data[end:end + PHDR.size] == bytes(PHDR.size), "no room after the program headers"
    PHDR.pack_into(data, end, PT_LOAD, PF_R, offset, 0, 0, 0, 0, 0x1000)
    struct.pack_into("<H", data, 56, phnum + 1)
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("offset", [0, 0x270])  # 0x270: Solo5's, not even aligned as its p_align says
def test_empty_load_segment_at_zero_is_skipped(kvm, tmp_path, offset):
    image = with_empty_load(paths.test_image("echo"), tmp_path / "empty-load.hvt", offset)
    proc = run(str(image), "exit=7")
    assert proc.returncode == 7, proc.stderr
    assert "echo: args: [exit=7]" in proc.stdout


def manifest_entry0_type_offset(image: bytes) -> int:
    phoff, = struct.unpack_from("<Q", image, 32)
    phnum, = struct.unpack_from("<H", image, 56)
    for i in range(phnum):
        ptype, _, off, *_ = PHDR.unpack_from(image, phoff + i * PHDR.size)
        if ptype == PT_NOTE and struct.unpack_from("<I", image, off + 8)[0] == MFT1:
            return off + 24 + 8 + 68  # note header padded to 8, mft header, entry 0's name
    raise LookupError("no manifest")


def test_reserved_first_manifest_entry_is_not_a_device(kvm, tmp_path):
    """block-io's manifest starts as elftool's do: an unnamed MFT_RESERVED_FIRST entry, needing no option."""
    image = paths.test_image("block-io").read_bytes()
    at = manifest_entry0_type_offset(image)
    assert struct.unpack_from("<I", image, at)[0] == 1 << 30
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"\x5a" * 1024)
    proc = run(f"--block:storage={disk}", str(paths.test_image("block-io")))
    assert proc.returncode == 0 and "block-io: OK" in proc.stdout, proc.stderr
    # The same unnamed entry with a device's type is a malformed manifest.
    broken = bytearray(image)
    struct.pack_into("<I", broken, at, 2)
    (tmp_path / "broken.hvt").write_bytes(bytes(broken))
    proc = run(f"--block:storage={disk}", str(tmp_path / "broken.hvt"))
    assert proc.returncode == EXIT_SOLO5 and "malformed manifest: entry 0 has an empty name" in proc.stderr


def test_four_gib_of_memory(kvm):
    """Solo5's test suite gives every guest --mem=4096: RAM then ends where the hypercall window starts."""
    proc = run("--mem=4096", str(paths.test_image("echo")), "exit=5")
    assert proc.returncode == 5, proc.stderr


@pytest.mark.parametrize("image, ring", [("write-code", 3), ("write-code-ring0", 0)])
def test_store_to_text_is_a_translation_fault(kvm, tmp_path, image, ring):
    stats = tmp_path / "stats.json"
    proc = run(f"--stats={stats}", str(paths.test_image(image)))
    assert proc.returncode == EXIT_SOLO5, proc.stderr
    assert f"write-code: ring {ring}, storing to" in proc.stdout
    assert "the store landed" not in proc.stdout
    line, = proc.stderr.splitlines()
    assert line.startswith("tb-monitor: host/guest translation fault: write to read-only guest memory at 0x"), line
    data = json.loads(stats.read_text())
    assert data["exit_status"] == EXIT_SOLO5 and "host/guest translation fault" in data["stop_reason"]


def read_core(path: Path) -> tuple[bytes, list[tuple]]:
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and struct.unpack_from("<H", data, 16)[0] == 4  # ET_CORE
    assert struct.unpack_from("<H", data, 18)[0] == 62  # EM_X86_64
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    return data, [PHDR.unpack_from(data, phoff + i * PHDR.size) for i in range(phnum)]


def test_dumpcore_on_abort(kvm, tmp_path):
    proc = run("--mem=8", f"--dumpcore={tmp_path}", str(paths.test_image("echo")), "exit=255")
    assert proc.returncode == 255, proc.stderr
    cores = list(tmp_path.glob("core.solo5-hvt.*"))
    assert len(cores) == 1 and any(line.endswith(str(cores[0])) for line in proc.stderr.splitlines()), proc.stderr
    data, phdrs = read_core(cores[0])
    note = next(p for p in phdrs if p[0] == PT_NOTE)
    load = next(p for p in phdrs if p[0] == PT_LOAD)
    namesz, _, ntype = struct.unpack_from("<III", data, note[2])
    assert ntype == 1 and data[note[2] + 12:note[2] + 12 + namesz] == b"CORE\0"  # NT_PRSTATUS
    assert load[4] == 0 and load[5] == load[6] == 8 << 20  # all of RAM from gpa 0
    ram = data[load[2]:load[2] + load[5]]
    assert ram[CMDLINE_GPA:CMDLINE_GPA + 9] == b"exit=255\0"  # the guest's memory, not zeros


def test_no_core_when_the_guest_exits_normally(kvm, tmp_path):
    proc = run(f"--dumpcore={tmp_path}", str(paths.test_image("echo")), "exit=0")
    assert proc.returncode == 0 and not list(tmp_path.iterdir())


def test_dumpcore_needs_a_directory(kvm, tmp_path):
    proc = run(f"--dumpcore={tmp_path / 'absent'}", str(paths.test_image("echo")))
    assert proc.returncode == EXIT_CONFIG and "--dumpcore=" in proc.stderr, proc.stderr
