"""test_monitor_bad_input: every bad image or option gets one clear line on stderr before the guest runs: exit 1 for
an image (solo5-hvt's status, which Solo5's own tests check), 125 for an option."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from framework.monitor import EXIT_CONFIG, run_monitor
from testbed import paths

EXIT_IMAGE = 1
PT_LOAD, PT_NOTE = 1, 4
ABI1, MFT1 = 0x31494241, 0x3154464D
PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align


def assert_refused(proc: subprocess.CompletedProcess, message: str, status: int = EXIT_CONFIG) -> None:
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tb-monitor: ")
    assert message in lines[0], lines[0]


class Elf:
    """A guest image in memory, with just enough structure to break it on purpose."""

    def __init__(self, name: str):
        self.data = bytearray(paths.test_image(name).read_bytes())
        self.phoff = struct.unpack_from("<Q", self.data, 32)[0]
        self.phnum = struct.unpack_from("<H", self.data, 56)[0]

    def phdrs(self) -> list[list[int]]:
        return [list(PHDR.unpack_from(self.data, self.phoff + i * PHDR.size)) for i in range(self.phnum)]

    def set_phdr(self, index: int, fields: list[int]) -> None:
        PHDR.pack_into(self.data, self.phoff + index * PHDR.size, *fields)

    def loads(self) -> list[int]:
        return [i for i, p in enumerate(self.phdrs()) if p[0] == PT_LOAD]

    def note_offset(self, note_type: int) -> int:
        """File offset of the Solo5 note of this type (its header)."""
        for p in self.phdrs():
            if p[0] == PT_NOTE and struct.unpack_from("<I", self.data, p[2] + 8)[0] == note_type:
                return p[2]
        raise LookupError(hex(note_type))

    def manifest_offset(self) -> int:
        return self.note_offset(MFT1) + 24  # 20-byte header, padded to 8

    def write(self, tmp_path: Path) -> str:
        path = tmp_path / "bad.hvt"
        path.write_bytes(bytes(self.data))
        return str(path)


def test_not_an_elf_file(kvm, tmp_path):
    path = tmp_path / "text.hvt"
    path.write_text("just some text, long enough to hold an ELF header if it were one" * 2)
    assert_refused(run_monitor(str(path)), "not an ELF file", EXIT_IMAGE)


def test_missing_guest_file(kvm, tmp_path):
    assert_refused(run_monitor(str(tmp_path / "nope.hvt")), "cannot open guest", EXIT_IMAGE)


def test_wrong_machine(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<H", elf.data, 18, 183)  # EM_AARCH64
    assert_refused(run_monitor(elf.write(tmp_path)), "wrong machine (e_machine 183", EXIT_IMAGE)


def test_not_an_executable(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<H", elf.data, 16, 3)  # ET_DYN
    assert_refused(run_monitor(elf.write(tmp_path)), "not a static executable", EXIT_IMAGE)


def test_segment_below_guest_minimum(kvm, tmp_path):
    elf = Elf("echo")
    index = elf.loads()[1]
    p = elf.phdrs()[index]
    p[3] = p[4] = 0x80000 + (p[2] % 0x1000)
    elf.set_phdr(index, p)
    assert_refused(run_monitor(elf.write(tmp_path)), "below the guest minimum 0x100000", EXIT_IMAGE)


def test_segment_past_guest_memory(kvm, tmp_path):
    elf = Elf("echo")
    index = elf.loads()[-1]
    p = elf.phdrs()[index]
    p[6] = 64 << 20  # memsz: 64 MiB in a 32 MiB guest
    elf.set_phdr(index, p)
    assert_refused(run_monitor("--mem=32", elf.write(tmp_path)), "does not fit in 32 MiB of guest memory", EXIT_IMAGE)


def test_segment_address_overflow(kvm, tmp_path):
    elf = Elf("echo")
    index = elf.loads()[-1]
    p = elf.phdrs()[index]
    p[3] = p[4] = 0xFFFFFFFFFFFFF000
    p[6] = 0x2000  # address + size wraps around 2^64
    elf.set_phdr(index, p)
    assert_refused(run_monitor(elf.write(tmp_path)), "does not fit in", EXIT_IMAGE)


def test_overlapping_segments(kvm, tmp_path):
    elf = Elf("echo")
    first, second = elf.loads()[:2]
    p = elf.phdrs()[second]
    p[3] = p[4] = elf.phdrs()[first][4] + (p[2] % 0x1000)
    elf.set_phdr(second, p)
    assert_refused(run_monitor(elf.write(tmp_path)), "overlap", EXIT_IMAGE)


def test_file_size_larger_than_memory_size(kvm, tmp_path):
    elf = Elf("echo")
    index = elf.loads()[0]
    p = elf.phdrs()[index]
    p[5] = p[6] + 1
    elf.set_phdr(index, p)
    assert_refused(run_monitor(elf.write(tmp_path)), "exceeds memory size", EXIT_IMAGE)


def test_segment_contents_outside_the_file(kvm, tmp_path):
    elf = Elf("echo")
    index = elf.loads()[0]
    p = elf.phdrs()[index]
    p[2] = len(elf.data) - 16  # offset near the end, filesz runs past it
    p[3] = p[4] = 0x100000 + (p[2] % 0x1000)
    elf.set_phdr(index, p)
    assert_refused(run_monitor(elf.write(tmp_path)), "contents outside the file", EXIT_IMAGE)


def test_bad_segment_alignment(kvm, tmp_path):
    elf = Elf("echo")
    index = elf.loads()[0]
    p = elf.phdrs()[index]
    p[7] = 0x3000  # not a power of two
    elf.set_phdr(index, p)
    assert_refused(run_monitor(elf.write(tmp_path)), "bad alignment", EXIT_IMAGE)


def test_truncated_file(kvm, tmp_path):
    elf = Elf("echo")
    elf.data = elf.data[:100]
    assert_refused(run_monitor(elf.write(tmp_path)), "program header table outside the file", EXIT_IMAGE)


def test_missing_abi_note(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<I", elf.data, elf.note_offset(ABI1) + 8, 0)
    assert_refused(run_monitor(elf.write(tmp_path)), "no Solo5 ABI1 note", EXIT_IMAGE)


def test_wrong_abi_version(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<II", elf.data, elf.note_offset(ABI1) + 20, 1, 1)
    assert_refused(run_monitor(elf.write(tmp_path)), "version 1; this monitor runs hvt (target 1) version 2",
                   EXIT_IMAGE)


def test_missing_manifest(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<I", elf.data, elf.note_offset(MFT1) + 8, 0)
    assert_refused(run_monitor(elf.write(tmp_path)), "no Solo5 manifest (MFT1 note)", EXIT_IMAGE)


def test_manifest_wrong_version(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<I", elf.data, elf.manifest_offset(), 2)
    assert_refused(run_monitor(elf.write(tmp_path)), "malformed manifest: version 2", EXIT_IMAGE)


def test_manifest_too_many_entries(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<I", elf.data, elf.manifest_offset() + 4, 65)
    assert_refused(run_monitor(elf.write(tmp_path)), "malformed manifest: 65 entries", EXIT_IMAGE)


def test_manifest_entries_beyond_the_note(kvm, tmp_path):
    elf = Elf("echo")
    struct.pack_into("<I", elf.data, elf.manifest_offset() + 4, 3)
    assert_refused(run_monitor(elf.write(tmp_path)), "3 entries do not fit in the note", EXIT_IMAGE)


def test_manifest_name_not_terminated(kvm, tmp_path):
    elf = Elf("nic-info")
    entry = elf.manifest_offset() + 8
    elf.data[entry:entry + 68] = b"A" * 68
    assert_refused(run_monitor(elf.write(tmp_path)), "entry 0's name is not NUL-terminated", EXIT_IMAGE)


def test_manifest_unknown_device_type(kvm, tmp_path):
    elf = Elf("nic-info")
    struct.pack_into("<I", elf.data, elf.manifest_offset() + 8 + 68, 7)
    assert_refused(run_monitor(elf.write(tmp_path)), "entry 'service0' has unknown type 7", EXIT_IMAGE)


def test_manifest_block_device_needs_a_file(kvm, tmp_path):
    elf = Elf("nic-info")
    struct.pack_into("<I", elf.data, elf.manifest_offset() + 8 + 68, 1)  # MFT_DEV_BLOCK_BASIC
    assert_refused(run_monitor(elf.write(tmp_path)),
                   "the guest needs block device 'service0': give --block:service0=PATH")


def test_unknown_net_name(kvm):
    assert_refused(run_monitor("--net:bogus=tap0", str(paths.test_image("nic-info"))),
                   "--net:bogus: the guest's manifest has no device 'bogus'")


def test_unattached_net_entry(kvm):
    assert_refused(run_monitor(str(paths.test_image("nic-info"))), "the guest needs network device 'service0'")


@pytest.mark.parametrize("argv, message", [
    (["--mem=2"], "--mem=2: memory must be 4..4096 MiB"),
    (["--mem=4097"], "--mem=4097: memory must be 4..4096 MiB"),
    (["--mem=lots"], "--mem=lots: not a number of MiB"),
    (["--mem=-1"], "--mem=-1: not a number of MiB"),
    (["--io=carrier-pigeon"], "unknown I/O mode"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--net:service0"], "expected --net:NAME=TAPIF[@NETNS]"),
    (["--net:service0=" + "x" * 20], "TAP name too long"),
    (["--net:service0=tap0@../etc"], "bad namespace name"),
    (["--net:a=t0", "--net:a=t1"], "device 'a' given twice"),
    (["--net:service0=t0", "--net-mac:service0=01:00:5e:00:00:01"], "bad MAC address"),
    (["--net:service0=t0", "--net-mac:service0=zz"], "bad MAC address"),
    (["--net-mac:other=02:00:00:00:00:01"], "no --net:other=... option"),
    (["--netns=tbt-surely-absent-ns"], "network namespace 'tbt-surely-absent-ns' does not exist"),
])
def test_bad_options(kvm, argv, message):
    assert_refused(run_monitor(*argv, str(paths.test_image("echo"))), message)


def test_no_guest_given():
    assert_refused(run_monitor("--mem=8"), "no GUEST given")


def test_guest_arguments_too_long(kvm):
    assert_refused(run_monitor(str(paths.test_image("echo")), "x" * 9000), "guest arguments too long")


def test_corrupted_headers_never_crash_the_monitor(kvm, tmp_path):
    """Random byte flips in the ELF and program headers and the notes: a clean refusal or a run, never a crash."""
    import random

    rng = random.Random(20261126)
    pristine = Elf("nic-info")
    notes = [p[2] for p in pristine.phdrs() if p[0] == PT_NOTE]
    targets = list(range(0, pristine.phoff + pristine.phnum * PHDR.size))
    targets += [offset + i for offset in notes for i in range(24 + 8 + 104)]
    path = tmp_path / "fuzzed.hvt"
    outcomes = {"refused": 0, "ran": 0}
    for _ in range(150):
        data = bytearray(pristine.data)
        for offset in rng.sample(targets, 3):
            data[offset] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            proc = subprocess.run([str(paths.monitor_path()), str(path)], capture_output=True, timeout=10)
        except subprocess.TimeoutExpired:  # a guest that still boots may loop: that is the guest's business
            outcomes["ran"] += 1
            continue
        stderr = proc.stderr.decode("ascii")  # the monitor escapes what it quotes from the image
        assert proc.returncode >= 0, f"monitor killed by signal {-proc.returncode}: {stderr}"
        if proc.returncode in (EXIT_IMAGE, EXIT_CONFIG):
            assert len(stderr.splitlines()) == 1 and stderr.startswith("tb-monitor: "), stderr
            outcomes["refused"] += 1
        else:
            outcomes["ran"] += 1
    assert outcomes["refused"] > 0
