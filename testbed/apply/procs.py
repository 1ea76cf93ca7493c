"""apply.procs: process identity (pid plus start time, so a recycled pid is never mistaken for ours), liveness and waiting."""
from __future__ import annotations

import os
import select
import signal
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessId:
    pid: int
    start: int  # clock ticks since boot, field 22 of /proc/PID/stat

    @classmethod
    def of(cls, pid: int) -> ProcessId | None:
        start = start_time(pid)
        return None if start is None else cls(pid, start)

    @classmethod
    def me(cls) -> ProcessId:
        return cls(os.getpid(), start_time(os.getpid()) or 0)

    @classmethod
    def from_json(cls, data: dict | None) -> ProcessId | None:
        return None if not data else cls(int(data["pid"]), int(data["start"]))

    def to_json(self) -> dict:
        return {"pid": self.pid, "start": self.start}

    def alive(self) -> bool:
        """True while this very process exists (a zombie counts as gone)."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        return fields[0] != "Z" and int(fields[19]) == self.start

    def signal(self, signum: int) -> bool:
        """Signal it only if it is still the same process; pidfd closes the pid-reuse race."""
        try:
            fd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            return False
        try:
            if not self.alive():
                return False
            signal.pidfd_send_signal(fd, signum)
            return True
        except ProcessLookupError:
            return False
        finally:
            os.close(fd)

    def wait_gone(self, timeout: float) -> bool:
        """Wait until it exits (we need not be its parent); True if it is gone."""
        try:
            fd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            return True
        try:
            deadline = time.monotonic() + timeout
            while self.alive():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                select.select([fd], [], [], min(remaining, 0.05))  # zombies stay readable: recheck
            return True
        finally:
            os.close(fd)

    def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        if self.signal(signal.SIGTERM) and not self.wait_gone(grace):
            self.signal(signal.SIGKILL)
            self.wait_gone(2.0)


def start_time(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def pids_by_netns() -> dict[int, list[int]]:
    """Every process grouped by the inode of its network namespace."""
    groups: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            inode = os.stat(f"/proc/{entry}/ns/net").st_ino
        except OSError:
            continue
        groups.setdefault(inode, []).append(int(entry))
    return groups
