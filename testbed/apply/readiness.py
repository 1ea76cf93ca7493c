"""apply.readiness: waits (bounded) until the supervisor has started the monitors and each guest printed a `ready:` line."""
from __future__ import annotations

import time
from pathlib import Path

from testbed.apply.confinement import SANDBOX_KILL_STATUS, SANDBOX_KILLED
from testbed.apply.procs import ProcessId
from testbed.down.state import RunDir
from testbed.errors import NodeNotReady

READY_PREFIX = b"ready:"
POLL_SECONDS = 0.005
TAIL_LINES = 15


def console_tail(path: Path, lines: int = TAIL_LINES) -> str:
    try:
        text = path.read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return "(no console output)"
    tail = text.splitlines()[-lines:]
    return "\n".join(f"  | {line}" for line in tail) if tail else "(no console output)"


def is_ready(console: Path, marker: str | None = None) -> bool:
    """A line starting with `ready:`, or the node's own marker text anywhere (an image that prints no such line)."""
    try:
        data = console.read_bytes()
    except FileNotFoundError:
        return False
    if marker:
        return marker.encode() in data
    return any(line.startswith(READY_PREFIX) for line in data.splitlines())


def wait_supervisor(run: RunDir, supervisor: ProcessId, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not run.read().get("supervisor_started"):
        if not supervisor.alive():
            raise NodeNotReady(f"run {run.run_id}: the supervisor exited while starting the monitors "
                               f"(see {run.path / 'supervisor.log'})")
        if time.monotonic() > deadline:
            raise NodeNotReady(f"run {run.run_id}: the supervisor did not start the monitors within {timeout:g} s")
        time.sleep(POLL_SECONDS)


def _died(status: int) -> str:
    return f"was {SANDBOX_KILLED}" if status == SANDBOX_KILL_STATUS else f"exited with status {status}"


def wait_ready(run: RunDir, nodes: list[str], timeout: float, markers: dict[str, str] | None = None) -> None:
    """Each node's console must show a line starting with `ready:` (or its marker); an exited monitor fails at once."""
    deadline = time.monotonic() + timeout
    markers = markers or {}
    waiting = list(nodes)
    while waiting:
        processes = run.read()["processes"]
        for node in list(waiting):
            console = run.console_path(node)
            if is_ready(console, markers.get(node)):
                waiting.remove(node)
                continue
            status = processes.get(node, {}).get("exit")
            if status is not None:
                raise NodeNotReady(f"node {node}: the monitor {_died(status)} before the guest was "
                                   f"ready; console tail ({console}):\n{console_tail(console)}")
        if waiting and time.monotonic() > deadline:
            node = waiting[0]
            awaited = repr(markers[node]) if node in markers else "line starting with 'ready:'"
            raise NodeNotReady(f"node {node}: not ready within {timeout:g} s (no {awaited} on the console); "
                               f"console tail ({run.console_path(node)}):\n"
                               f"{console_tail(run.console_path(node))}")
        if waiting:
            time.sleep(POLL_SECONDS)
