"""framework.monitor: tb-monitor as the tests drive it: a one-shot run, or a process whose console is read as it
comes (wait for a line), stopped with SIGTERM so its stats are written."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from framework.netns import TapNamespace
from framework.waits import LineReader
from testbed import paths

EXIT_CONFIG, EXIT_FAULT = 125, 126
READY_TIMEOUT = 15.0  # a monitor with --stats and shared-memory set-up takes a while to boot on a loaded host


def image_path(name: str) -> Path:
    """A built-in guest app (ping-serve, udp-sink...) or a test image (echo, shm_stall...)."""
    builtin = paths.images().get(name)
    return builtin if builtin is not None else paths.test_image(name)


def run_monitor(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """tb-monitor ARGV to its end, output captured as text."""
    return subprocess.run([str(paths.monitor_path()), *argv], capture_output=True, text=True, timeout=timeout)


class MonitorProcess:
    """One running tb-monitor; stdout and stderr are one console, read by a thread."""

    def __init__(self, image: str, *guest_args: str, io: str | None = None, tap_ns: TapNamespace | None = None,
                 mac: str | None = None, stats_path: Path | None = None, flags: tuple[str, ...] = ()):
        self.stats_path = stats_path
        cmd = [str(paths.monitor_path())]
        cmd += [f"--io={io}"] if io else []
        cmd += [f"--stats={stats_path}"] if stats_path else []
        cmd += list(flags)
        if tap_ns is not None:
            cmd.append(f"--net:service0={tap_ns.tap}@{tap_ns.netns}")
            cmd += [f"--net-mac:service0={mac}"] if mac else []
        cmd += [str(image_path(image)), *guest_args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.console = LineReader(self.proc.stdout)
        self.ready: str | None = None  # the guest app's "ready:" line, once waited for

    @property
    def seen(self) -> list[str]:
        return self.console.seen

    def wait_line(self, prefix: str, timeout: float = READY_TIMEOUT) -> str:
        return self.console.wait_line(prefix, timeout, f"a console line starting with {prefix!r}")

    def finish(self, timeout: float = 30.0) -> tuple[int, list[str]]:
        """Waits for the guest to exit by itself; returns its status and every console line."""
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"guest still running after {timeout} s; console: {self.console.rest()}") from None
        return status, self.console.rest()

    def stop(self) -> int:
        """SIGTERM (the stats are still written), then its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.finish(timeout=15)[0]

    def kill(self) -> None:
        """SIGTERM first (the monitor still writes its stats), SIGKILL if it does not go."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait(timeout=10)

    def stats(self) -> dict:
        assert self.stats_path is not None, "started without stats"
        return json.loads(self.stats_path.read_text())


def summary(lines: list[str]) -> dict:
    """The guest app's one closing summary line ({"summary": true, ...})."""
    found = [obj for obj in json_lines(lines) if obj.get("summary") is True]
    assert len(found) == 1, f"expected one summary line in {lines}"
    return found[0]


def json_lines(lines: list[str]) -> list[dict]:
    found = []
    for line in lines:
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:  # a console line that only starts like JSON
                continue
    return found
