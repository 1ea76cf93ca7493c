"""apply.confinement: exit statuses in words, the one console line after a sandbox kill (once), /proc/PID/status."""
from __future__ import annotations

import os
import signal

from testbed.apply import confinement


def test_exit_statuses_in_words():
    assert confinement.exit_text(-signal.SIGSYS) == "killed by its sandbox (seccomp)"
    assert confinement.exit_text(-signal.SIGKILL) == "killed by SIGKILL"
    assert confinement.exit_text(0) == "exited (0)" and confinement.exit_text(143) == "exited (143)"


def test_the_kill_line_is_written_once_and_only_for_a_sandbox_kill(tmp_path):
    console = tmp_path / "guest.log"
    console.write_text("ready: ping-serve\n")
    confinement.note_sandbox_kill(-signal.SIGKILL, console)
    confinement.note_sandbox_kill(1, console)
    assert console.read_text() == "ready: ping-serve\n"
    confinement.note_sandbox_kill(-signal.SIGSYS, console)
    assert console.read_text() == "ready: ping-serve\n" + confinement.KILL_LINE


def test_trap_modes_own_line_is_not_repeated(tmp_path):
    console = tmp_path / "guest.log"
    own = "tb-monitor: killed by its sandbox (seccomp): forbidden system call socket (41); see docs/confinement.md\n"
    console.write_text(own)
    confinement.note_sandbox_kill(-signal.SIGSYS, console)
    assert console.read_text() == own


def test_a_missing_console_is_not_an_error(tmp_path):
    confinement.note_sandbox_kill(-signal.SIGSYS, tmp_path / "gone" / "guest.log")


def test_reads_a_live_process_and_none_for_a_gone_one():
    mine = confinement.read(os.getpid())
    assert set(mine) == {"seccomp", "seccomp_mode", "no_new_privs", "cap_eff", "confined"}
    assert mine["seccomp_mode"] == confinement.SECCOMP_MODES[mine["seccomp"]] and len(mine["cap_eff"]) == 16
    assert confinement.read(2**22 + 1) is None  # above pid_max's ceiling: never a process
