"""apply.confinement: how confined a running monitor is (/proc/PID/status), and what its death by the sandbox looks like.

The monitor confines itself once its setup is done (monitor/tender/sandbox/, docs/confinement.md): no capabilities,
NO_NEW_PRIVS, a seccomp filter that kills the process with SIGSYS on any system call outside its allowlist. Such a
death leaves the monitor no chance to say why, so whoever reaps it (the supervisor) writes the line instead.
"""
from __future__ import annotations

import signal
from pathlib import Path

SANDBOX_KILL_STATUS = -signal.SIGSYS  # a Popen returncode: killed by SIGSYS
SANDBOX_KILLED = "killed by its sandbox (seccomp)"
KILL_LINE = (f"tb-monitor: {SANDBOX_KILLED}: it made a system call outside its allowlist "
             "(run it with --seccomp=trap to name the call; see docs/confinement.md)\n")
SECCOMP_MODES = {0: "disabled", 1: "strict", 2: "filter"}
TAIL_BYTES = 4096  # how far back a console is searched for the monitor's own sandbox line


def exit_text(status: int) -> str:
    """A reaped monitor's returncode in words: `killed by its sandbox (seccomp)`, `killed by SIGKILL`, `exited (N)`."""
    if status == SANDBOX_KILL_STATUS:
        return SANDBOX_KILLED
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exited ({status})"


def note_sandbox_kill(status: int, console: Path) -> None:
    """Appends the one clear line to the node's console log when its monitor died by its seccomp filter."""
    if status != SANDBOX_KILL_STATUS:
        return
    try:
        with open(console, "a+b") as log:
            log.seek(max(0, log.seek(0, 2) - TAIL_BYTES))
            if SANDBOX_KILLED.encode() not in log.read():  # --seccomp=trap wrote its own line, naming the call
                log.write(KILL_LINE.encode())
    except OSError:
        pass  # the run directory is going away: nothing left to tell


def read(pid: int) -> dict | None:
    """Seccomp mode, NoNewPrivs and CapEff of a live process (its main thread), None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
    seccomp = int(fields.get("Seccomp", "0"))
    return {
        "seccomp": seccomp,
        "seccomp_mode": SECCOMP_MODES.get(seccomp, "unknown"),
        "no_new_privs": int(fields.get("NoNewPrivs", "0")),
        "cap_eff": fields.get("CapEff", "").strip(),
        "confined": seccomp == 2 and fields.get("NoNewPrivs", "0") == "1" and int(fields.get("CapEff", "1"), 16) == 0,
    }
