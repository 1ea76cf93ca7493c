"""guest_helpers: what the guest-app and shmstream tests share: a monitor process whose console a thread collects, and a run against a UDP receiver."""
from __future__ import annotations

import queue
import subprocess
import threading
import time


def in_ns(netns: str, *argv: str) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv]


def ping_guest(tap_ns, count: int, interval: float = 0.01, wait: float = 2,
               timeout: float = 60) -> subprocess.CompletedProcess:
    """iputils ping from the TAP's namespace to the guest; the caller asserts on its stdout."""
    argv = in_ns(tap_ns.netns, "ping", "-c", str(count), "-i", f"{interval:g}", "-W", f"{wait:g}", tap_ns.guest_ip)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


class ConsoleProcess:
    """A monitor process; a thread moves its console lines into a queue so waits can time out."""

    # Subclasses pick how long wait_line waits by default.
    WAIT_TIMEOUT = 10.0

    def __init__(self, cmd: list[str], **popen_kwargs):
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     **popen_kwargs)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_line(self, prefix: str, timeout: float | None = None) -> str:
        timeout = self.WAIT_TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting with {prefix!r} in {timeout}s; console so far: {self.seen}")

    def _collect(self) -> None:
        while (line := self.lines.get(timeout=5)) is not None:
            self.seen.append(line)


def run_against_receiver(receiver: subprocess.Popen, start, on_ready=None, timeout: float = 60):
    """Starts a guest with start(), runs on_ready(guest) if given, waits for the guest and then the receiver;
    both are stopped whatever happens. Returns the guest, its status and console lines, and the receiver's output."""
    guest = None
    try:
        guest = start()
        if on_ready is not None:
            on_ready(guest)
        status, lines = guest.finish(timeout=timeout)
        out, _ = receiver.communicate(timeout=40)
    finally:
        if guest is not None:
            guest.kill()
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
    return guest, status, lines, out
