"""test_monitor_faults: hostile guests are stopped with the reason and rip, exit 126, and stats saying why."""
from __future__ import annotations

import json
import re

from framework.monitor import EXIT_FAULT, run_monitor
from testbed import paths

HEX = r"0x[0-9a-f]+"


def run_hostile(tmp_path, name: str, *args: str) -> tuple[str, dict]:
    stats = tmp_path / "stats.json"
    proc = run_monitor(f"--stats={stats}", str(paths.test_image(name)), *args)
    assert proc.returncode == EXIT_FAULT, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-monitor: guest fault: "), proc.stderr
    data = json.loads(stats.read_text())
    assert data["exit_status"] == EXIT_FAULT
    assert data["stop_reason"] == "fault: " + lines[0].removeprefix("tb-monitor: guest fault: ")
    return lines[0], data


def rip_in_image(line: str) -> None:
    rip = int(re.search(r"rip=(0x[0-9a-f]+)", line).group(1), 16)
    assert 0x100000 <= rip < 0x200000, line  # inside the guest's text, not a made-up value


def test_null_dereference_in_ring_3(kvm, tmp_path):
    line, stats = run_hostile(tmp_path, "null-deref")
    assert re.search(rf"#PF page fault \(vector 14\) at rip={HEX}, error code 0x4, cr2=0x0, in ring 3$", line), line
    rip_in_image(line)
    assert stats["fault_reports"] == 1


def test_bad_jump_in_ring_3(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "bad-jump")
    assert re.search(r"#PF page fault \(vector 14\) at rip=0xdead000, error code 0x\d+, cr2=0xdead000, in ring 3$",
                     line), line


def test_hypercall_buffer_outside_memory(kvm, tmp_path):
    line, stats = run_hostile(tmp_path, "bad-pointer")
    assert "puts hypercall: buffer 0x7f0000000000, length 0x10 is outside guest memory" in line
    rip_in_image(line)
    assert stats["hypercalls"]["puts"] == 1


def test_hypercall_argument_outside_memory(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "bad-pointer", "arg")
    assert "puts hypercall: argument at 0x7f0000000000 is outside guest memory" in line
    rip_in_image(line)


def test_hypercall_length_that_wraps(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "bad-length")
    assert re.search(rf"puts hypercall: buffer {HEX}, length 0xfffffffffffffff7 is outside guest memory", line), line
    rip_in_image(line)


def test_unknown_hypercall(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "unknown-hypercall")
    assert "unknown hypercall 42" in line
    rip_in_image(line)


def test_triple_fault(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "triple-fault")
    assert "triple fault (KVM_EXIT_SHUTDOWN)" in line
    rip_in_image(line)


def test_hypercall_argument_in_monitor_low_memory(kvm, tmp_path):
    """The page tables are in guest RAM, but below 1 MiB: the monitor never writes there for a guest."""
    line, _ = run_hostile(tmp_path, "bad-pointer", "low")
    assert "walltime hypercall: argument at 0x2000 is in the monitor's low memory (below 1 MiB)" in line
    rip_in_image(line)


def test_fake_fault_report_with_a_wild_frame(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "hostile-pio", "fault-port")
    assert "fault report with a frame outside guest memory (0xfffffff0)" in line
    rip_in_image(line)


def test_port_read(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "hostile-pio", "in")
    assert "unexpected port I/O (port 0x502, in, size 4)" in line


def test_unknown_port(kvm, tmp_path):
    line, _ = run_hostile(tmp_path, "hostile-pio", "port")
    assert "port I/O to unknown port 0x1234" in line
    rip_in_image(line)


def test_fault_in_ring_0_goes_through_the_same_stubs(kvm, tmp_path):
    line, stats = run_hostile(tmp_path, "hostile-pio", "ud2")
    assert re.search(rf"#UD invalid opcode \(vector 6\) at rip={HEX}, error code 0x0, cr2=0x0, in ring 0$", line), line
    rip_in_image(line)
    assert stats["fault_reports"] == 1
