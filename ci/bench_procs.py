"""bench_procs: starts the bench's child processes, waits for their ready line, reaps them with their CPU time."""
from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    # A killed bench must not leave floods or monitors running.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@dataclass
class Finished:
    status: int
    stdout: list[str]
    stderr: str
    wall: float
    cpu: float  # user + system seconds of the process itself (from wait4)

    def last_json(self) -> dict | None:
        for line in reversed(self.stdout):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    continue
        return None


@dataclass
class Child:
    """One child process whose stdout lines are collected by a thread, so waits can time out."""
    argv: list[str]
    proc: subprocess.Popen = field(init=False)
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=_die_with_parent)
        self._out = threading.Thread(target=self._pump, daemon=True)
        self._out.start()
        self._err: list[str] = []
        self._errt = threading.Thread(target=lambda: self._err.extend(self.proc.stderr), daemon=True)
        self._errt.start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            if "ready:" in line:
                self.ready.set()
        self.ready.set()  # EOF: whoever waits must not hang

    def wait_ready(self, timeout: float) -> None:
        exited_early = self.ready.wait(timeout) and not self._saw_ready()
        if not self.ready.is_set() or exited_early:
            self.kill()
            tail = "".join(self._err)[-400:] or "".join(self.lines)[-400:]
            raise RuntimeError(f"{os.path.basename(self.argv[0])} never got ready: {tail.strip()}")

    def _saw_ready(self) -> bool:
        return any("ready:" in line for line in self.lines)

    def finish(self, timeout: float) -> Finished:
        """Wait for exit (killing it after timeout) and return its output and CPU time."""
        return self._reap_within(timeout, lambda: self.proc.send_signal(signal.SIGTERM))

    def stop(self, timeout: float = 5.0) -> Finished:
        """SIGTERM now, SIGKILL if it lingers; then reap as finish() does."""
        self.proc.send_signal(signal.SIGTERM)
        return self._reap_within(timeout, self.proc.kill)

    def _reap_within(self, timeout: float, then) -> Finished:
        """Reap the process if it exits within timeout; otherwise call then() (a signal) and reap it after."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                return self._reaped(status, usage)
            time.sleep(0.01)
        then()
        pid, status, usage = os.wait4(self.proc.pid, 0)
        return self._reaped(status, usage)

    def _reaped(self, status: int, usage) -> Finished:
        wall = time.perf_counter() - self.started
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self._out.join(5)
        self._errt.join(5)
        return Finished(self.proc.returncode, list(self.lines), "".join(self._err), wall,
                        usage.ru_utime + usage.ru_stime)

    def kill(self) -> None:
        if self.proc.returncode is None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run(argv: list[str], timeout: float) -> Finished:
    child = Child(argv)
    try:
        return child.finish(timeout)
    finally:
        child.kill()
