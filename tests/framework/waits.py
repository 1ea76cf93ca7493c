"""framework.waits: wait for an event (a line, a file, a process gone, a condition) with a timeout that fails
saying what was awaited and what was last seen, instead of a deadline loop in every test."""
from __future__ import annotations

import os
import queue
import select
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.01  # between looks at state that has no event to block on (/proc, /run/netns)


def wait_for(probe: Callable[[], T], timeout: float, what: str,
             until: Callable[[T], bool] = bool, interval: float = POLL_SECONDS) -> T:
    """Calls probe() until until(result) holds and returns that result; after timeout seconds fails with the last
    result. probe may raise (an AssertionError, say, when the process it watches died) to stop waiting at once."""
    deadline = time.monotonic() + timeout
    while not until(seen := probe()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}; last seen: {seen!r}")
        time.sleep(interval)
    return seen


def wait_file(path: Path, timeout: float, what: str | None = None) -> Path:
    wait_for(path.exists, timeout, what or f"{path} to exist")
    return path


def wait_gone(pid: int, timeout: float, what: str | None = None) -> None:
    """Until process pid has exited and been reaped (its /proc entry is gone): the exit itself is an event (a
    pidfd turns readable), the reaping by its parent follows it closely."""
    what = what or f"process {pid} to be gone"
    deadline = time.monotonic() + timeout
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready = select.poll()
        ready.register(pidfd, select.POLLIN)
        if not ready.poll(timeout * 1000):
            raise AssertionError(f"waited {timeout:g} s for {what}; it is still running: {_cmdline(pid)!r}")
    finally:
        os.close(pidfd)
    wait_for(lambda: os.path.exists(f"/proc/{pid}"), max(deadline - time.monotonic(), 0.5),
             f"{what} (exited, not yet reaped)", until=lambda exists: not exists)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "(gone)"


class LineReader:
    """A thread moves a stream's lines into a queue, so waiting for a line can time out; every line taken from the
    queue is kept in `seen`, for the failure message and for the caller."""

    def __init__(self, stream: IO[str]):
        self.seen: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._ended = False
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_line(self, match: str | Callable[[str], bool], timeout: float, what: str | None = None) -> str:
        """The first new line starting with match (or for which match(line) holds); fails on timeout or EOF."""
        test = match if callable(match) else (lambda line: line.startswith(match))
        what = what or f"a line starting with {match!r}"
        for line in self._new_lines(time.monotonic() + timeout):
            if test(line):
                return line
        ended = "the stream ended" if self._ended else f"waited {timeout:g} s"
        raise AssertionError(f"{ended} without {what}; lines so far: {self.seen}")

    def next_line(self, timeout: float, what: str) -> str:
        return self.wait_line(lambda line: True, timeout, what)

    def rest(self, timeout: float = 5) -> list[str]:
        """Every line up to the end of the stream (its writer has exited); all lines seen, in order."""
        for _ in self._new_lines(time.monotonic() + timeout):
            pass
        return self.seen

    def _new_lines(self, deadline: float) -> Iterator[str]:
        """Lines as they come (each also kept in seen), until the stream ends or the deadline passes."""
        while not self._ended and (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                return
            if line is None:
                self._ended = True
                return
            self.seen.append(line)
            yield line
