"""run.traffic.process: a tool process in a network namespace: output read by a thread, dies with us, stopped by pid."""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
import time

from testbed.apply import nsenter
from testbed.run.traffic.base import TrafficError

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
STOP_GRACE_SECONDS = 3.0


class ToolProcess:
    """argv started inside `namespace` (or ours when None); stdout+stderr lines kept; `ready_marker` sets `ready`."""

    def __init__(self, argv: list[str], namespace: str | None = None, ready_marker: str | None = None):
        self.argv = argv
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._marker = ready_marker
        fd = os.open(nsenter.netns_path(namespace), os.O_RDONLY | os.O_CLOEXEC) if namespace else None

        def preexec() -> None:
            # A killed orchestrator must not leave a flood running: the kernel kills us with it.
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if fd is not None:
                nsenter._setns(fd)

        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, preexec_fn=preexec)
        finally:
            if fd is not None:
                os.close(fd)
        self.started = time.monotonic()
        self._reader = threading.Thread(target=self._pump, daemon=True, name=f"out:{os.path.basename(argv[0])}")
        self._reader.start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            if self._marker is None or line.startswith(self._marker):
                self.ready.set()
        self.ready.set()  # EOF: whoever waits must not hang

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float) -> None:
        if not self.ready.wait(timeout) or self.proc.poll() is not None and not self._saw_marker():
            self.stop()
            raise TrafficError(f"{self.name} did not get ready within {timeout:g} s: {self.tail()}")

    def _saw_marker(self) -> bool:
        return self._marker is None or any(line.startswith(self._marker) for line in self.lines)

    def wait(self, timeout: float) -> int:
        """Its exit status; stopped (SIGTERM, then SIGKILL) if it outlives the timeout."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
        self._reader.join(5)
        return self.proc.returncode

    def stop(self) -> int:
        """SIGTERM (our tools still print their summary), SIGKILL after a grace period; safe to call twice."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        return self.proc.returncode

    @property
    def name(self) -> str:
        return os.path.basename(self.argv[0])

    def tail(self, lines: int = 5) -> str:
        return " | ".join(line.strip() for line in self.lines[-lines:]) or "(no output)"
