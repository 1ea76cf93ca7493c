"""apply.relay: a run's impaired links: the relays (tb-wire) with their launch by the supervisor, readiness and
control sockets, and the monitors' control files for links a monitor impairs; run-time changes and counters go to
whichever carries the link."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from testbed.apply import nic_control
from testbed.apply.readiness import console_tail
from testbed.down.state import RunDir
from testbed.errors import LabError
from testbed.plan.relay import Relay

WIRE_DIR = "wire"
CONTROL_DIR = "impair"  # the monitors' control files, one per monitor that impairs a link
POLL_SECONDS = 0.005
CONTROL_TIMEOUT_SECONDS = 5.0


def control_path(run: RunDir, relay: Relay) -> Path:
    return run.path / WIRE_DIR / f"{relay.link}.sock"


def stats_path(run: RunDir, relay: Relay) -> Path:
    """The relay's final counters, written as it exits."""
    return run.path / WIRE_DIR / f"{relay.link}.json"


def monitor_control_path(run: RunDir, node: str) -> Path:
    return run.path / CONTROL_DIR / f"{node}.ctl"


def create_monitor_controls(relays: tuple[Relay, ...], run: RunDir) -> None:
    """An empty control file for each monitor that impairs a link, recorded first (down removes what is ours)."""
    for node in dict.fromkeys(relay.monitor for relay in relays if relay.by_monitor):
        path = monitor_control_path(run, node)
        run.record("file", path=str(path))
        nic_control.create(path)


def monitor_flags(relays: tuple[Relay, ...], run: RunDir, node: str) -> list[str]:
    """The --impair flags of node's monitor for the links it impairs, and its control file."""
    flags = [flag for relay in relays if relay.monitor == node for flag in relay.monitor_flags()]
    return [f"--impair-control={monitor_control_path(run, node)}", *flags] if flags else []


def launches(relays: tuple[Relay, ...], run: RunDir) -> list[dict]:
    """What the supervisor starts for the relays, next to the monitors (so they live and die the same way)."""
    relays = tuple(relay for relay in relays if not relay.by_monitor)
    if not relays:
        return []
    from testbed import paths

    (run.path / WIRE_DIR).mkdir(exist_ok=True)
    binary = str(paths.tool_path("tb-wire"))
    return [{"node": relay.process, "argv": relay.argv(binary, str(control_path(run, relay)),
                                                       str(stats_path(run, relay)))} for relay in relays]


def wait_ready(run: RunDir, relays: tuple[Relay, ...], timeout: float) -> None:
    """Each relay has opened both ends once its control socket exists; one that exited fails the lab at once.
    (A monitor's control file is live once the monitor is past its setup: readiness waits for the monitors.)"""
    deadline = time.monotonic() + timeout
    waiting = [relay for relay in relays if not relay.by_monitor]
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
    """Configuration and counters per direction (ab: first endpoint to second), live or, once it exited, final (a
    monitor's: as last published)."""
    if relay.by_monitor:
        with _control(run, relay) as control:
            return {"directions": {wire: control.read(relay.nic, relay.nic_direction(wire)) for wire in ("ab", "ba")}}
    try:
        return json.loads(command(run, relay, "stats"))
    except LabError:
        try:
            return json.loads(stats_path(run, relay).read_text())
        except (FileNotFoundError, ValueError):
            raise LabError(f"link {relay.name}: its relay is not running and left no counters") from None


def _control(run: RunDir, relay: Relay) -> nic_control.Control:
    return nic_control.Control(monitor_control_path(run, relay.monitor), f"link {relay.name}")


def set_direction(run: RunDir, relay: Relay, wire: str, text: str) -> None:
    """Replace one way's whole configuration (the engine's key=value text) on whichever carries the link."""
    if not relay.by_monitor:
        command(run, relay, f"set {wire} {text}")
        return
    with _control(run, relay) as control:
        control.write(relay.nic, relay.nic_direction(wire), text)


def monitor_specs(run: RunDir, relay: Relay) -> dict[str, dict[str, str]]:
    """A monitor-impaired link's ways (ab, ba) as their last written key=value fields."""
    with _control(run, relay) as control:
        return {wire: _fields(control.spec(relay.nic, relay.nic_direction(wire))) for wire in ("ab", "ba")}


def _fields(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(",") if item)


def set_down(run: RunDir, relay: Relay, down: bool) -> None:
    """Down: every packet dropped both ways until up. A monitor's NIC is taken down by `down=1` in both specs."""
    if not relay.by_monitor:
        command(run, relay, "down" if down else "up")
        return
    with _control(run, relay) as control:
        for direction in (nic_control.TX, nic_control.RX):
            fields = {**_fields(control.spec(relay.nic, direction)), "down": "1" if down else "0"}
            control.write(relay.nic, direction, ",".join(f"{key}={value}" for key, value in fields.items()))
