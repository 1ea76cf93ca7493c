"""test_monitor_sandbox: the running monitor is confined (seccomp filter, NO_NEW_PRIVS, no capabilities, no /dev/kvm)
in every io mode while real traffic flows; a forbidden system call kills it, for each kind of argument rule, and trap
mode names it in one line; --seccomp=off works; a lab names a node killed by its sandbox; `testbed status --json` shows each monitor's confinement."""
from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from framework.lab import PINGPAIR
from framework.monitor import EXIT_CONFIG, run_monitor
from framework.netns import ping_guest
from testbed import paths
from testbed.apply.confinement import KILL_LINE
from testbed.errors import NodeNotReady
from testbed.lab import Lab

KILLED_BY_SIGSYS = -signal.SIGSYS
NO_CAPS = "0000000000000000"
KERNEL_WORKER = 0x00004000 | 0x00200000  # PF_USER_WORKER | PF_KTHREAD: KVM's kvm-nx-lpage-recovery lives in our group


def user_threads(pid: int) -> list[Path]:
    """The process's threads that run user space (the flags are the 9th field of stat, after the name)."""
    tasks = sorted(Path(f"/proc/{pid}/task").iterdir())
    return [task for task in tasks
            if not int((task / "stat").read_text().rsplit(")", 1)[1].split()[6]) & KERNEL_WORKER]


def thread_status(pid: int) -> list[dict]:
    """Every user-space thread's /proc status as {field: value}: capabilities and the filter belong to each thread."""
    return [dict(line.split(":\t", 1) for line in (task / "status").read_text().splitlines() if ":\t" in line)
            for task in user_threads(pid)]


def fd_targets(pid: int) -> list[str]:
    return [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]


@pytest.mark.parametrize("mode, image", [("hypercall", "ping-serve"), ("poll", "ping-serve"), ("event", "ping-serve"),
                                         ("hybrid", "ping-serve"), ("solo5-ring", "ring-ping")])
def test_running_monitor_is_confined_in_every_io_mode(kvm, guest_app, tap_ns, mode, image):
    guest = guest_app(image, io=mode, stats=True)
    pid = guest.proc.pid
    done = ping_guest(tap_ns, count=30, interval=0.01)  # the steady state under the filter: traffic both ways
    threads = thread_status(pid)
    targets = fd_targets(pid)
    received = int(re.search(r"(\d+) received", done.stdout).group(1))
    # Replies prove the data path ran under the filter; a loaded shared host may drop a few, never kill the monitor.
    assert received >= 15 and guest.proc.poll() is None, (done.stdout, guest.proc.poll(), guest.seen)
    assert len(threads) == (2 if mode in ("poll", "event", "hybrid") else 1)  # shmstream's IO thread is confined too
    for status in threads:
        assert (status["Seccomp"], status["NoNewPrivs"]) == ("2", "1"), status
        assert status["CapEff"] == status["CapPrm"] == status["CapBnd"] == status["CapAmb"] == NO_CAPS, status
    assert "/dev/kvm" not in targets and "anon_inode:kvm-vm" not in targets, targets
    assert guest.stop() == 128 + signal.SIGTERM  # the stop path (stats, teardown) is allowed too
    stats = guest.stats()
    assert stats["exit_status"] == 128 + signal.SIGTERM and stats["vm_exits"] > 0


def test_a_faulting_guest_is_reported_and_dumped_under_the_filter(kvm, tmp_path):
    """The fault path (registers, the core file in --dumpcore's directory) runs confined."""
    done = run_monitor(f"--dumpcore={tmp_path}", str(paths.test_image("null-deref")))
    assert done.returncode == 126, done.stderr
    assert "guest fault" in done.stderr and "sandbox" not in done.stderr
    (core,) = tmp_path.glob("core.solo5-hvt.*")
    assert core.stat().st_size > 0


def test_forbidden_system_call_kills_the_monitor(kvm):
    done = run_monitor("--seccomp-selftest", str(paths.images()["hello"]), "never")
    assert done.returncode == KILLED_BY_SIGSYS, (done.returncode, done.stdout, done.stderr)
    assert "hello" not in done.stdout  # the guest never ran


# One forbidden call per kind of rule: not on the list, a path outside --dumpcore's directory, executable memory,
# a request the vCPU fd may not get, a signal outside our own process.
@pytest.mark.parametrize("call, seen_as", [("socket", "socket (41)"), ("openat", "openat (257)"),
                                           ("exec-mmap", "mmap (9)"), ("ioctl", "ioctl (16)"),
                                           ("tgkill", "tgkill (234)")])
def test_each_argument_rule_kills_and_trap_mode_names_the_call_in_one_line(kvm, call, seen_as):
    killed = run_monitor(f"--seccomp-selftest={call}", str(paths.images()["hello"]))
    assert killed.returncode == KILLED_BY_SIGSYS, (killed.returncode, killed.stderr)
    trapped = run_monitor("--seccomp=trap", f"--seccomp-selftest={call}", str(paths.images()["hello"]))
    assert trapped.returncode == KILLED_BY_SIGSYS, (trapped.returncode, trapped.stderr)
    assert trapped.stderr.splitlines() == [
        f"tb-monitor: killed by its sandbox (seccomp): forbidden system call {seen_as}; see docs/confinement.md"]


def test_seccomp_off_runs_without_a_filter_but_still_without_capabilities(kvm, guest_app):
    done = run_monitor("--seccomp=off", "--seccomp-selftest", str(paths.images()["hello"]), "unfiltered")
    assert done.returncode == 0, done.stderr
    assert "hello: unfiltered" in done.stdout
    assert "--seccomp-selftest=socket was allowed" in done.stderr
    guest = guest_app("ping-serve", flags=("--seccomp=off",))
    (status,) = thread_status(guest.proc.pid)
    assert status["Seccomp"] == "0" and status["CapEff"] == NO_CAPS


def test_unknown_seccomp_mode_or_self_test_call_is_a_usage_error():
    done = run_monitor("--seccomp=loose", str(paths.images()["hello"]))
    assert done.returncode == EXIT_CONFIG
    assert done.stderr == "tb-monitor: --seccomp=loose: unknown seccomp mode (available: kill, trap, off)\n"
    done = run_monitor("--seccomp-selftest=fork", str(paths.images()["hello"]))
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.startswith("tb-monitor: --seccomp-selftest=fork: unknown self-test call (available: socket,")


def test_lab_reports_a_node_killed_by_its_sandbox(kvm, run_prefix, namespaces_of, tmp_path, monkeypatch):
    """A monitor that makes a forbidden call: `up` fails naming the sandbox, and the console holds the one line."""
    wrapper = tmp_path / "tb-monitor"
    wrapper.write_text(f'#!/bin/sh\nexec {paths.monitor_path()} --seccomp-selftest "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(paths, "monitor_path", lambda: wrapper)
    with pytest.raises(NodeNotReady) as failed:
        Lab.up(PINGPAIR, name_prefix=f"{run_prefix}-s")
    message = str(failed.value)
    assert "guest: the monitor was killed by its sandbox (seccomp) before the guest was ready" in message
    assert KILL_LINE.strip() in message  # the console tail
    assert namespaces_of(f"{run_prefix}-s") == []


def test_status_json_shows_each_monitors_confinement(kvm, run_prefix, testbed_cli):
    with Lab.up(PINGPAIR, name_prefix=run_prefix) as lab:
        done = testbed_cli("status", lab.run_id, "--json")
        assert done.returncode == 0, done.stderr
        (summary,) = json.loads(done.stdout)
        rows = {row["node"]: row for row in summary["nodes"]}
        assert rows["guest"]["state"] == "running"
        assert rows["guest"]["confinement"] == {"seccomp": 2, "seccomp_mode": "filter", "no_new_privs": 1,
                                                "cap_eff": NO_CAPS, "confined": True}
        assert rows["host"]["confinement"] is None  # not a monitor
