"""cluster.gateways: one execnet gateway and agent channel per host; every failure names the host."""
from __future__ import annotations

import threading
from pathlib import Path

from testbed.errors import LabError

REMOTE_MODULE = Path(__file__).with_name("remote.py")
CONNECT_TIMEOUT_SECONDS = 30.0
REPLY_TIMEOUT_SECONDS = 600.0  # a 1,000-node part takes seconds; a lost host is noticed by its gateway first


class HostError(LabError):
    """A host could not be reached, or its agent refused a request: the message starts with its name."""


class AgentLink:
    """Requests to one host's agent, one at a time (the lease renewals share the channel with everything else)."""

    def __init__(self, host: str, spec: str):
        self.host, self.spec = host, spec
        self.gateway = None
        self.channel = None
        self.agent: dict = {}  # what the agent said of itself: hostname, pid, state_dir, version
        self._lock = threading.Lock()

    def connect(self, group) -> dict:
        try:
            self.gateway = group.makegateway(self.spec)
            self.channel = self.gateway.remote_exec(REMOTE_MODULE.read_text())
        except Exception as exc:  # noqa: BLE001 - execnet raises HostNotFound, EOFError, OSError, ...
            raise HostError(f"host {self.host}: unreachable through gateway {self.spec!r}: "
                            f"{type(exc).__name__}: {exc}") from None
        self.agent = self.request({"op": "hello"}, timeout=CONNECT_TIMEOUT_SECONDS)
        return self.agent

    def request(self, request: dict, timeout: float = REPLY_TIMEOUT_SECONDS) -> dict:
        with self._lock:
            try:
                self.channel.send(request)
                reply = self.channel.receive(timeout)
            except Exception as exc:  # noqa: BLE001 - a closed channel, a timeout, a remote crash
                raise HostError(f"host {self.host}: no answer to {request.get('op')}: {_last_line(exc)}") from None
        if "error" in reply:
            raise HostError(f"host {self.host}: {reply['error']}")
        return reply["ok"]

    def close(self) -> None:
        if self.gateway is not None:
            try:
                self.gateway.exit()
            except Exception:  # noqa: BLE001, S110 - closing a gateway to a lost host is best effort
                pass


def _last_line(exc: Exception) -> str:
    """A remote traceback's last line says what went wrong; the rest is the agent's business."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1].strip() if lines else ''}"
