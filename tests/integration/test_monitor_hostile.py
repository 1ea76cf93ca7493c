"""test_monitor_hostile: guests that aim at the edges: buffers over the top of RAM, NET_READ into low or read-only
memory, misuse of the MMIO hypercall window, shmstream geometry overwritten, a TX length changed while it is read."""
from __future__ import annotations

import json
import re
import struct

import pytest

from framework.monitor import EXIT_FAULT, run_monitor
from framework.shmstream import MODES
from testbed import paths

HEX = r"0x[0-9a-f]+"
TOP = 32 << 20  # the monitor's default guest memory
PT_NOTE = 4


def run_edge(tmp_path, case: str, *flags: str) -> tuple[str, dict]:
    """edge-mem CASE must be stopped: one fault line, exit 126, stats giving the same reason."""
    stats = tmp_path / "stats.json"
    proc = run_monitor(f"--stats={stats}", *flags, str(paths.test_image("edge-mem")), case)
    assert proc.returncode == EXIT_FAULT, (proc.returncode, proc.stdout, proc.stderr)
    assert "the monitor let it pass" not in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-monitor: guest fault: "), proc.stderr
    data = json.loads(stats.read_text())
    assert data["stop_reason"] == "fault: " + lines[0].removeprefix("tb-monitor: guest fault: ")
    return lines[0], data


@pytest.mark.parametrize("case, message", [
    ("puts-straddle", f"puts hypercall: buffer {TOP - 8:#x}, length 0x10 is outside guest memory"),
    ("puts-past", f"puts hypercall: buffer {TOP:#x}, length 0x1 is outside guest memory"),
    ("arg-straddle", f"walltime hypercall: argument at {TOP - 4:#x} is outside guest memory"),
])
def test_buffer_over_the_top_of_ram_is_refused(kvm, tmp_path, case, message):
    line, _ = run_edge(tmp_path, case)
    assert message in line, line


def test_buffer_ending_exactly_at_the_top_of_ram_is_allowed(kvm):
    proc = run_monitor(str(paths.test_image("edge-mem")), "puts-last")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("\nedge-mem: last bytes printed\n")
    assert proc.stdout.index("\nedge-mem:") == 16  # the 16 bytes below the top, then our line


def test_top_of_ram_follows_the_memory_size(kvm, tmp_path):
    line, _ = run_edge(tmp_path, "puts-straddle", "--mem=64")
    assert f"buffer {(64 << 20) - 8:#x}, length 0x10 is outside guest memory" in line


@pytest.mark.parametrize("case, pattern", [
    ("mmio-narrow", r"hypercall 2: not an 8-byte store"),
    ("mmio-read", r"hypercall 2: not an 8-byte store"),
    ("mmio-misaligned", r"write of unbacked address 0x100000014 \(outside guest RAM\)"),
    ("mmio-doorbell", r"write of unbacked address 0x100001000 \(outside guest RAM\)"),  # no shmstream: nothing bound
    ("mmio-far", r"write of unbacked address 0x100100000 \(outside guest RAM\)"),
])
def test_misuse_of_the_hypercall_window_is_a_fault(kvm, tmp_path, case, pattern):
    line, stats = run_edge(tmp_path, case)
    assert re.search(pattern + rf" \(rip={HEX}\)$", line), line
    assert sum(stats["hypercalls"].values()) == 0  # nothing reached a handler


@pytest.mark.parametrize("case, message", [
    ("netread-low", "net_read hypercall: buffer 0x1000, length 0x800 is in the monitor's low memory (below 1 MiB)"),
    ("netread-straddle", f"net_read hypercall: buffer {TOP - 1024:#x}, length 0x800 is outside guest memory"),
    ("netread-code", "length 0x800 is in the guest's read-only memory"),
    ("netwrite-straddle", f"net_write hypercall: buffer {TOP - 30:#x}, length 0x3c is outside guest memory"),
])
def test_nic_buffers_outside_writable_guest_memory(kvm, tap_ns, monitor, case, message):
    mon = monitor("edge-net", case, io="hypercall", tap_ns=tap_ns, stats=True)
    status, lines = mon.finish(timeout=20)
    assert status == EXIT_FAULT, lines
    faults = [line for line in lines if line.startswith("tb-monitor: guest fault: ")]
    assert len(faults) == 1 and message in faults[0], lines
    assert mon.stats()["nics"]["service0"]["rx_packets"] == 0


@pytest.mark.parametrize("mode", MODES)
def test_overwritten_ring_geometry_is_ignored(kvm, tap_ns, monitor, mode):
    """The monitor keeps its own copy of the geometry: a guest that scribbles over the published one changes nothing."""
    mon = monitor("edge-net", "geometry", io=mode, tap_ns=tap_ns, stats=True)
    status, lines = mon.finish(timeout=20)
    assert status == 0, lines
    assert "edge-net: geometry overwritten, 10 frames published" in lines
    stats = mon.stats()
    assert stats["nics"]["service0"]["tx_packets"] == 10
    assert stats["shmstream"]["nics"]["net0"]["tx_errors"] == 0


@pytest.mark.parametrize("mode", MODES)
def test_tx_length_changed_while_read(kvm, tap_ns, monitor, mode):
    """The length is loaded once: each frame is either sent whole at the valid length or the guest is stopped for
    the huge one, whichever value the monitor's one load saw. Never anything in between."""
    mon = monitor("edge-net", "len-race", io=mode, tap_ns=tap_ns, stats=True)
    status, lines = mon.finish(timeout=60)
    stats = mon.stats()
    sent = stats["nics"]["service0"]["tx_packets"]
    if status == 0:
        assert "edge-net: len-race survived" in lines
        assert sent == 200 and stats["nics"]["service0"]["tx_bytes"] == 200 * 60
    else:
        assert status == EXIT_FAULT, lines
        assert re.search(r"service0 tx ring corrupted by the guest: frame length 60000 in slot (\d+)",
                         stats["stop_reason"]), stats["stop_reason"]
        assert sent < 200 and stats["nics"]["service0"]["tx_bytes"] == sent * 60


def test_notes_at_odd_file_offsets_are_read(kvm, tmp_path):
    """A PT_NOTE may start at any offset: its headers are copied out before use, never read misaligned in place
    (the sanitizer build of the monitor runs this too)."""
    image = bytearray(paths.images()["hello"].read_bytes())
    phoff, = struct.unpack_from("<Q", image, 32)
    phentsize, phnum = struct.unpack_from("<HH", image, 54)
    moved = 0
    for index in range(phnum):
        header = phoff + index * phentsize
        p_type, _flags, p_offset, _vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", image, header)
        if p_type != PT_NOTE:
            continue
        new_offset = len(image) | 1
        image += bytes(new_offset - len(image)) + image[p_offset:p_offset + p_filesz]
        struct.pack_into("<Q", image, header + 8, new_offset)
        moved += 1
    assert moved == 2  # the ABI1 and MFT1 notes
    odd = tmp_path / "odd-notes.hvt"
    odd.write_bytes(bytes(image))
    proc = run_monitor(str(odd), "odd")
    assert proc.returncode == 0 and proc.stdout == "hello: odd\n", proc.stderr
