"""apply.supervise: the per-run supervisor process; starts the monitors, tied to its own life, and keeps the lab alive until told to stop.

Run as `python -m testbed.apply.supervise RUN_DIR OWNER_PID`, with `start` written to its stdin once the run's links exist
(its interpreter starts meanwhile). It imports nothing heavy so it starts fast.
Life cycle: it watches its owner (the process that called Lab.up) through a pidfd and stops the lab's monitors when
the owner dies, until SIGUSR1 detaches it (`testbed up` leaves the lab running); SIGTERM stops the monitors (SIGTERM,
then SIGKILL) and exits. Monitors get PR_SET_PDEATHSIG=SIGKILL, so killing the supervisor with -9 kills them too.
(A pidfd, not PR_SET_PDEATHSIG, for the owner: PDEATHSIG fires when the parent *thread* exits, and Lab.up may run
in a short-lived thread.)
"""
from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time

from testbed.apply.confinement import note_sandbox_kill
from testbed.apply.procs import ProcessId
from testbed.apply.shm_fds import ShmLinkFds
from testbed.down.state import RunDir

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 3.0
WATCHED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGHUP}
OWNER_POLL_SECONDS = 0.05
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(signum: int) -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)


def _monitor_preexec() -> None:
    """In the monitor child: die with the supervisor, and undo the supervisor's blocked signal mask."""
    die_with_parent(signal.SIGKILL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


class Supervisor:
    def __init__(self, run: RunDir, owner_pidfd: int | None):
        self.run = run
        self.owner_pidfd = owner_pidfd  # None once detached
        self.children: dict[int, tuple[str, subprocess.Popen]] = {}

    def owner_gone(self) -> bool:
        if self.owner_pidfd is None:
            return False
        readable, _, _ = select.select([self.owner_pidfd], [], [], 0)
        return bool(readable)

    def start_monitors(self) -> None:
        with open(self.run.path / "launch.json") as f:
            launches = json.load(f)
        shm = ShmLinkFds(launches)  # shm links' memfds, eventfds and sockets, inherited by both ends
        try:
            started = {launch["node"]: self._start(launch["node"], *shm.argv(launch)) for launch in launches}
        finally:
            shm.close()  # the monitors hold them now: a dead monitor then hangs up its peer

        # One state write for all (one per monitor rewrote a growing state.json each time). Recording after the
        # start is safe: a monitor dies with us (PR_SET_PDEATHSIG), so none outlives a crash here unrecorded.
        def record(state: dict) -> None:
            state["processes"].update(started)
            state["supervisor_started"] = True
        self.run.update(record)

    def _start(self, node: str, argv: list[str], pass_fds: tuple[int, ...] = ()) -> dict:
        with open(self.run.console_path(node), "ab", buffering=0) as console:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                                       preexec_fn=_monitor_preexec, close_fds=True,  # noqa: PLW1509 (no threads here)
                                       pass_fds=pass_fds)
        identity = ProcessId.of(process.pid) or ProcessId(process.pid, 0)
        self.children[process.pid] = (node, process)
        return {**identity.to_json(), "argv": argv, "exit": None}

    def reap(self) -> None:
        """Collect the monitors that exited and record their statuses in one state write."""
        exited = {}
        for pid, (node, process) in list(self.children.items()):
            status = process.poll()
            if status is not None:
                del self.children[pid]
                exited[node] = status
                note_sandbox_kill(status, self.run.console_path(node))
        if exited:
            self.run.update(lambda state: [state["processes"][n].__setitem__("exit", s) for n, s in exited.items()])

    def stop(self) -> None:
        for _, process in self.children.values():
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self.children and time.monotonic() < deadline:
            signal.sigtimedwait([signal.SIGCHLD], 0.05)
            self.reap()
        for _, process in self.children.values():
            process.kill()
            process.wait()
        self.reap()

    def serve(self) -> None:
        """Wait for signals: reap monitors as they exit, detach on SIGUSR1, stop on SIGTERM/SIGINT/SIGHUP."""
        while not self.owner_gone():
            info = signal.sigtimedwait(WATCHED, OWNER_POLL_SECONDS if self.owner_pidfd is not None else 1.0)
            if info is None or info.si_signo == signal.SIGCHLD:
                self.reap()
            elif info.si_signo == signal.SIGUSR1:
                os.close(self.owner_pidfd)
                self.owner_pidfd = None
            else:
                break
        self.stop()


def wait_for_release() -> bool:
    """The owner starts us before it makes the links and writes `start` on our stdin once they exist; end of
    file first means it gave up or died. Signals still have their default effect here: nothing is started yet."""
    return sys.stdin.buffer.readline().strip() == b"start"


def main(argv: list[str]) -> int:
    run_dir, owner = argv[0], int(argv[1])
    if not wait_for_release():
        return 1
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)  # handled synchronously in serve()
    try:
        owner_pidfd = os.pidfd_open(owner)
    except ProcessLookupError:
        return 1
    if os.getppid() != owner:  # the owner died (and we were reparented) before the pidfd was opened
        return 1
    supervisor = Supervisor(RunDir(run_dir), owner_pidfd)
    try:
        supervisor.start_monitors()
        supervisor.serve()
    finally:
        supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
