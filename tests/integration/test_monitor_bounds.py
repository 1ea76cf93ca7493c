"""test_monitor_bounds: inputs that used to exhaust the host are bounded: console volume (capped, marked, counted),
a stdout nobody reads (SIGTERM still stops the monitor), guest paths that are not regular files, a 1 GiB image."""
from __future__ import annotations

import array
import fcntl
import json
import os
import re
import signal
import subprocess
import termios
import time
from pathlib import Path

import pytest

from framework.monitor import EXIT_CONFIG, run_monitor
from framework.shmstream import MODES
from testbed import paths

MIB = 1 << 20
DONE = b"flood: done\n"
F_GETPIPE_SZ = 1032
TOTAL_MARK = b"[tb-monitor: console limit of %d bytes reached: the rest of the guest's output is dropped]"
RATE_MARK = b"[tb-monitor: console over %d bytes/s: output dropped until it slows down]"


def flood(tmp_path, mib: str, *flags: str) -> tuple[subprocess.CompletedProcess, bytes, dict]:
    """console-flood MIB with its console in a file; returns the run, the console bytes and the stats."""
    stats, console = tmp_path / "stats.json", tmp_path / "console.log"
    with open(console, "wb") as out:
        proc = subprocess.run([str(paths.monitor_path()), f"--stats={stats}", *flags,
                               str(paths.test_image("console-flood")), mib],
                              check=False, stdout=out, stderr=subprocess.PIPE, timeout=60)
    return proc, console.read_bytes(), json.loads(stats.read_text())["console"]


def test_console_total_is_capped_marked_and_counted(kvm, tmp_path):
    proc, out, console = flood(tmp_path, "8", "--console-max=1M", "--console-rate=0")
    assert proc.returncode == 0, proc.stderr
    mark = TOTAL_MARK % MIB
    assert out.count(mark) == 1 and out.endswith(mark + b"\n")
    assert len(out) == MIB + len(mark) + 2  # the guest's first MiB, then the marker on a line of its own
    assert console["bytes"] == MIB and console["dropped_bytes"] == 8 * MIB + len(DONE) - MIB
    assert console["truncations"] == 1 and console["max_bytes"] == MIB


def test_console_rate_is_capped_marked_and_counted(kvm, tmp_path):
    rate = 256 * 1024
    proc, out, console = flood(tmp_path, "32", f"--console-rate={rate // 1024}K", "--console-max=0")
    assert proc.returncode == 0, proc.stderr
    assert console["bytes"] + console["dropped_bytes"] == 32 * MIB + len(DONE)  # every byte accounted for
    assert console["dropped_bytes"] > 0 and console["truncations"] >= 1
    assert out.count(RATE_MARK % rate) == console["truncations"]
    wall = json.loads((tmp_path / "stats.json").read_text())["wall_seconds"]
    assert console["bytes"] <= rate * (1 + wall) + 1  # one second's burst, then the rate


def test_console_defaults_bound_a_flood(kvm, tmp_path):
    proc, out, console = flood(tmp_path, "64")
    assert proc.returncode == 0, proc.stderr
    assert (console["max_bytes"], console["rate_bytes"]) == (16 * MIB, MIB)
    assert console["dropped_bytes"] > 0 and console["bytes"] < 16 * MIB
    assert len(out) < console["bytes"] + 200 * console["truncations"] + 200  # guest bytes plus the markers


def test_console_without_limits_passes_everything(kvm, tmp_path):
    proc, out, console = flood(tmp_path, "20", "--console-max=0", "--console-rate=0")
    assert proc.returncode == 0, proc.stderr
    assert len(out) == 20 * MIB + len(DONE) and out.endswith(DONE)
    assert console == {"bytes": len(out), "dropped_bytes": 0, "truncations": 0, "max_bytes": 0, "rate_bytes": 0}


@pytest.mark.parametrize("flag", ["--console-max=-1", "--console-max=1T", "--console-rate=2G", "--console-rate=",
                                  "--console-max=0x10", "--console-rate=5KB"])
def test_console_limit_flags_are_checked(flag):
    proc = run_monitor(flag, str(paths.images()["hello"]))
    assert proc.returncode == EXIT_CONFIG
    assert proc.stderr.startswith(f"tb-monitor: {flag}: expected a number of bytes") and proc.stderr.count("\n") == 1


def wait_until_full(read_end: int, proc: subprocess.Popen) -> None:
    size, queued = fcntl.fcntl(read_end, F_GETPIPE_SZ), array.array("i", [0])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        fcntl.ioctl(read_end, termios.FIONREAD, queued)
        if queued[0] >= size:
            return
        time.sleep(0.01)
    raise AssertionError(f"the pipe never filled ({queued[0]} of {size} bytes); monitor status {proc.poll()}")


@pytest.mark.parametrize("stderr_too", [False, True], ids=["stdout", "stdout-and-stderr"])
def test_sigterm_stops_a_monitor_blocked_on_a_full_stdout(kvm, tmp_path, stderr_too):
    """`tb-monitor ... | less` with less paused: the guest's PUTS waits for room; SIGTERM must still end the run."""
    stats = tmp_path / "stats.json"
    read_end, write_end = os.pipe()
    with open(tmp_path / "stderr", "wb") as err_file:
        proc = subprocess.Popen([str(paths.monitor_path()), f"--stats={stats}", "--console-rate=0",
                                 str(paths.test_image("console-flood")), "forever"],
                                stdout=write_end, stderr=write_end if stderr_too else err_file)
    os.close(write_end)
    try:
        wait_until_full(read_end, proc)
        time.sleep(0.2)  # well inside the blocked write by now
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=5)  # before the fix: never (the signal stayed blocked)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(read_end)
    assert status == 128 + signal.SIGTERM
    data = json.loads(stats.read_text())
    assert data["stop_reason"] == "signal: Terminated"
    assert data["console"]["bytes"] >= 64 * 1024
    if not stderr_too:
        assert (tmp_path / "stderr").read_text() == "tb-monitor: stopped by Terminated\n"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_guest_path_that_is_not_a_regular_file(kvm, tmp_path, kind):
    """A FIFO used to hang the monitor in open(): it is now refused, as /dev/zero and a directory are."""
    path = {"fifo": tmp_path / "guest.hvt", "dev-zero": "/dev/zero", "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    proc = run_monitor(str(path), timeout=10)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == f"tb-monitor: {path}: not a regular file\n"


def test_a_1_gib_image_is_mapped_not_read(kvm, tmp_path):
    """The largest image allowed, mostly a hole: the monitor touches its headers and segments, not the gigabyte.
    The peak is the monitor's own VmHWM (ru_maxrss would carry over the parent's peak across exec)."""
    image = tmp_path / "big.hvt"
    image.write_bytes(paths.test_image("console-flood").read_bytes())
    os.truncate(image, 1 << 30)
    proc = subprocess.Popen([str(paths.monitor_path()), str(image), "spin"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout.readline() == "ready: spinning\n"  # loaded and running
        status = Path(f"/proc/{proc.pid}/status").read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
    assert peak < 128 * MIB, f"peak RSS {peak / MIB:.0f} MiB"  # it was 1,029 MiB when the image was read whole


def test_an_image_over_1_gib_is_refused(kvm, tmp_path):
    image = tmp_path / "huge.hvt"
    image.write_bytes(paths.images()["hello"].read_bytes())
    os.truncate(image, (1 << 30) + 1)
    proc = run_monitor(str(image), timeout=10)
    assert proc.returncode == 1
    assert proc.stderr == f"tb-monitor: {image}: image too large ({(1 << 30) + 1} bytes, at most {1 << 30})\n"


@pytest.mark.parametrize("reader", ["closed-early", "no-stdout"])
def test_a_console_nobody_takes_does_not_stop_the_guest(kvm, tmp_path, reader):
    """`tb-monitor ... | head -c 100` and a closed stdout: the guest's output is lost, the guest is not."""
    stats = tmp_path / "stats.json"
    argv = [str(paths.monitor_path()), f"--stats={stats}", "--console-rate=0", str(paths.test_image("console-flood")),
            "4"]
    if reader == "no-stdout":
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=lambda: os.close(1))  # noqa: PLW1509 (no threads in the child yet)
        status = proc.wait(timeout=30)
    else:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert len(proc.stdout.read(100)) == 100
        proc.stdout.close()
        status = proc.wait(timeout=30)
    assert status == 0, proc.stderr.read()
    data = json.loads(stats.read_text())
    assert data["stop_reason"] == "halt: guest exited with status 0"
    assert data["console"]["dropped_bytes"] == 0  # what the limits let through but nobody took is not a drop


def test_sigterm_stops_a_guest_that_never_exits_to_the_monitor(kvm, monitor):
    mon = monitor("console-flood", "spin", stats=True)
    mon.wait_line("ready: spinning")
    assert mon.stop() == 128 + signal.SIGTERM
    assert mon.stats()["stop_reason"] == "signal: Terminated"


@pytest.mark.parametrize("io", ["hypercall", *MODES])
def test_sigterm_stops_a_guest_waiting_for_packets(kvm, guest_app, io):
    """udp-sink with no traffic: the vCPU sleeps in POLL (hypercall, event, hybrid) or the guest spins on its ring
    (poll) while the IO thread waits or spins."""
    mon = guest_app("udp-sink", "--port=7000", "--seconds=60", io=io, stats=True)
    time.sleep(0.2)
    assert mon.stop() == 128 + signal.SIGTERM
    assert mon.stats()["stop_reason"] == "signal: Terminated"


@pytest.mark.parametrize("reader", [False, True], ids=["fifo", "fifo-with-reader"])
def test_a_stats_path_that_is_not_a_regular_file_is_refused(kvm, tmp_path, reader):
    """--stats=FIFO used to hold the monitor in open() with its stop signals blocked: only SIGKILL ended it."""
    fifo = tmp_path / "stats.json"
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK) if reader else None
    try:
        proc = run_monitor(f"--stats={fifo}", str(paths.images()["hello"]), timeout=10)
    finally:
        if held is not None:
            os.close(held)
    assert proc.returncode == EXIT_CONFIG
    assert proc.stderr == f"tb-monitor: --stats={fifo}: not a regular file\n"
