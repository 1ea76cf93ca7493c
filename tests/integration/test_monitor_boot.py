"""test_monitor_boot: tb-monitor boots test guests: console, arguments, exit status, ring 3 vs ring 0, stats JSON, --help, signals."""
from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from framework.monitor import EXIT_CONFIG, EXIT_FAULT, run_monitor
from testbed import paths


def image(name: str) -> str:
    return str(paths.test_image(name))


def run_with_stats(tmp_path, *argv: str) -> tuple[subprocess.CompletedProcess, dict]:
    stats = tmp_path / "stats.json"
    proc = run_monitor(f"--stats={stats}", *argv)
    return proc, json.loads(stats.read_text())


def test_console_arguments_and_exit_status(kvm):
    proc = run_monitor(image("echo"), "alpha", "beta gamma", "exit=7")
    assert proc.stdout == "echo: ring 3\necho: args: [alpha beta gamma exit=7]\n"
    assert proc.returncode == 7
    assert proc.stderr == ""


def test_exit_status_zero_and_empty_command_line(kvm):
    proc = run_monitor("--", image("echo"))
    assert proc.stdout.endswith("echo: args: []\n")
    assert proc.returncode == 0


def test_help_lists_usage_and_exit_codes():
    proc = run_monitor("--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: tb-monitor")
    for text in ("--mem=MiB", "--net:NAME=TAPIF[@NETNS]", "--net-mac:NAME=MAC", "--netns=NAME", "--io=MODE",
                 "--stats=PATH", f"{EXIT_CONFIG}", f"{EXIT_FAULT}", "255"):
        assert text in proc.stdout


STATS_FIELDS = {"guest", "io", "exit_status", "stop_reason", "wall_seconds", "vm_exits", "insn_emulation",
                "halt_exits", "kvm_vcpu", "userspace_exits", "hypercalls", "nics", "cpu_seconds"}


def test_stats_json_has_every_field(kvm, tmp_path):
    proc, stats = run_with_stats(tmp_path, image("echo"), "exit=5")
    assert proc.returncode == 5
    assert STATS_FIELDS <= stats.keys()
    assert stats["exit_status"] == 5
    assert stats["stop_reason"] == "halt: guest exited with status 5"
    assert stats["hypercalls"]["puts"] == 4 and stats["hypercalls"]["halt"] == 1
    assert stats["userspace_exits"] == 5
    assert stats["vm_exits"] >= stats["userspace_exits"]
    assert stats["kvm_vcpu"]["exits"] == stats["vm_exits"]
    assert stats["cpu_seconds"]["vcpu"] > 0
    assert 0 < stats["wall_seconds"] < 5


def test_compute_runs_natively_in_ring_3(kvm, tmp_path):
    """8 MiB checksummed in ring 3 takes about a millisecond; emulated ring 0 would take seconds."""
    proc, stats = run_with_stats(tmp_path, image("compute"))
    assert proc.returncode == 0, proc.stderr
    words = proc.stdout.split()
    assert "ring 3," in proc.stdout
    checksum_ns = int(words[words.index("checksum", words.index("fill")) + 1])
    assert checksum_ns < 100_000_000
    assert stats["insn_emulation"] < 1000
    assert stats["kvm_vcpu"]["mmio_exits"] >= 2  # ring-3 hypercalls are MMIO stores


def test_ring0_compat_guest_uses_pio_hypercalls(kvm, tmp_path):
    """Stands in for an unmodified Solo5 guest: ring 0, `outl` hypercalls, every instruction emulated."""
    proc, stats = run_with_stats(tmp_path, image("ring0-echo"), "x", "y")
    assert proc.returncode == 3, proc.stderr
    assert "ring0-echo: ring 0, args: [x y]" in proc.stdout
    assert "monotonic advanced yes" in proc.stdout
    wall = int(proc.stdout.split("wall ")[1].split()[0])
    assert abs(wall - time.time()) < 60
    assert stats["kvm_vcpu"]["mmio_exits"] == 0
    assert stats["hypercalls"]["walltime"] == 1
    assert stats["insn_emulation"] > 1000


def test_storm_of_hypercalls_each_exits(kvm, tmp_path):
    proc, stats = run_with_stats(tmp_path, image("storm"), "2000")
    assert proc.returncode == 0, proc.stderr
    assert "2000 hypercalls in" in proc.stdout
    assert stats["hypercalls"]["walltime"] == 2000
    assert stats["userspace_exits"] >= 2000


def test_sigterm_stops_cleanly_with_stats(kvm, tmp_path):
    stats_path = tmp_path / "stats.json"
    proc = subprocess.Popen([str(paths.monitor_path()), f"--stats={stats_path}", image("storm"), "100000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Not a wait for an event: the storm prints nothing before its end; half a second of hypercalls (counted
        # in the stats), then the signal lands mid-storm.
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM
    assert "stopped by" in err
    stats = json.loads(stats_path.read_text())
    assert stats["stop_reason"].startswith("signal:")
    assert stats["hypercalls"]["walltime"] > 0


@pytest.mark.parametrize("mem", ["4", "4096"])
def test_memory_limits_accepted(kvm, mem):
    proc = run_monitor(f"--mem={mem}", image("echo"))
    assert proc.returncode == 0, proc.stderr


def test_testbed_monitor_runs_a_builtin_image_by_name(kvm):
    """`testbed monitor` execs tb-monitor: the exit status and console are the guest's, options pass through."""
    import sys

    proc = subprocess.run([sys.executable, "-m", "testbed.cli", "monitor", "--mem=16", "--", "hello", "one", "two"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "hello: one two" in proc.stdout
