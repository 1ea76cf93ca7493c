"""apply.relay: the relays (tb-wire) of a run's impaired links: their launch by the supervisor, readiness, and their
control sockets (run-time impairment changes, counters)."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from testbed.apply.readiness import console_tail
from testbed.down.state import RunDir
from testbed.errors import LabError
from testbed.plan.relay import Relay

WIRE_DIR = "wire"
POLL_SECONDS = 0.005
CONTROL_TIMEOUT_SECONDS = 5.0


def control_path(run: RunDir, relay: Relay) -> Path:
    return run.path / WIRE_DIR / f"{relay.link}.sock"


def stats_path(run: RunDir, relay: Relay) -> Path:
    """The relay's final counters, written as it exits."""
    return run.path / WIRE_DIR / f"{relay.link}.json"


def launches(relays: tuple[Relay, ...], run: RunDir) -> list[dict]:
    """What the supervisor starts for the relays, next to the monitors (so they live and die the same way)."""
    if not relays:
        return []
    from testbed import paths

    (run.path / WIRE_DIR).mkdir(exist_ok=True)
    binary = str(paths.tool_path("tb-wire"))
    return [{"node": relay.process, "argv": relay.argv(binary, str(control_path(run, relay)),
                                                       str(stats_path(run, relay)))} for relay in relays]


def wait_ready(run: RunDir, relays: tuple[Relay, ...], timeout: float) -> None:
    """Each relay has opened both ends once its control socket exists; one that exited fails the lab at once."""
    deadline = time.monotonic() + timeout
    waiting = list(relays)
    while waiting:
        processes = run.read()["processes"]
        for relay in list(waiting):
            if control_path(run, relay).exists():
                waiting.remove(relay)
                continue
            status = processes.get(relay.process, {}).get("exit")
            if status is not None:
                raise LabError(f"link {relay.name}: the relay exited with status {status}:\n"
                               f"{console_tail(run.console_path(relay.process))}")
        if waiting and time.monotonic() > deadline:
            raise LabError(f"link {waiting[0].name}: the relay was not ready within {timeout:g} s:\n"
                           f"{console_tail(run.console_path(waiting[0].process))}")
        if waiting:
            time.sleep(POLL_SECONDS)


def command(run: RunDir, relay: Relay, line: str) -> str:
    """One command to a running relay, its one-line answer (an `error: ...` answer raises)."""
    path = control_path(run, relay)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CONTROL_TIMEOUT_SECONDS)
        try:
            directory = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise LabError(f"link {relay.name}: its relay is not running") from None
        try:  # through the directory's descriptor: a deep state directory makes the path too long for a socket
            sock.connect(f"/proc/self/fd/{directory}/{path.name}")
        except (FileNotFoundError, ConnectionRefusedError):
            raise LabError(f"link {relay.name}: its relay is not running") from None
        finally:
            os.close(directory)
        sock.sendall(line.encode() + b"\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    text = answer.decode().strip()
    if text.startswith("error:") or not text:
        raise LabError(f"link {relay.name}: {text or 'no answer from the relay'}")
    return text


def stats(run: RunDir, relay: Relay) -> dict:
    """Configuration and counters per direction (ab: first endpoint to second), live or, once it exited, final."""
    try:
        return json.loads(command(run, relay, "stats"))
    except LabError:
        try:
            return json.loads(stats_path(run, relay).read_text())
        except (FileNotFoundError, ValueError):
            raise LabError(f"link {relay.name}: its relay is not running and left no counters") from None
