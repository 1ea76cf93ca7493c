"""pytest_plugin.session: this pytest run's identity (token, worker, prefix, ledger), shared with xdist workers."""
from __future__ import annotations

import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from testbed.pytest_plugin import audit, naming

TOKEN_INPUT, LEDGER_INPUT = "testbed_token", "testbed_ledger"


@dataclass
class Session:
    token: str
    worker: str
    prefix: str
    ledger: Path  # folder of *.ledger files, one per worker
    controller: bool  # the process that audits: the xdist controller, or the only process
    before: audit.Snapshot | None = None

    @classmethod
    def start(cls, config) -> Session:
        workerinput = getattr(config, "workerinput", None)
        worker = naming.worker_id(config)
        if workerinput is not None and TOKEN_INPUT in workerinput:
            token, ledger = workerinput[TOKEN_INPUT], Path(workerinput[LEDGER_INPUT])
            return cls(token, worker, naming.name_prefix(worker, token), ledger, controller=False)
        token = naming.new_session_token()
        ledger = Path(tempfile.gettempdir()) / f"testbed-pytest-{token}"  # made by the first lab (not by --help)
        return cls(token, worker, naming.name_prefix(worker, token), ledger, controller=True, before=audit.take())

    def to_worker(self, workerinput: dict) -> None:
        workerinput[TOKEN_INPUT] = self.token
        workerinput[LEDGER_INPUT] = str(self.ledger)

    def finish(self, from_workers: list[str] | None = None) -> list[str]:
        """The controller's audit: this run's leftovers here and those its workers found on their machines (a
        --tx ssh= worker's labs are where it runs), each once (then the ledger goes)."""
        found = audit.ours_settled(self.token, audit.read_ledger(self.ledger) + [_default_root()])
        reported = {line.split("] ", 1)[-1]: line for line in from_workers or []}
        shutil.rmtree(self.ledger, ignore_errors=True)
        return [reported.pop(line, line) for line in found] + list(reported.values())

    def worker_finish(self) -> list[str]:
        """A worker's audit of its own labs on the machine it ran on, tagged [WORKER@HOST] for the controller."""
        mine = [line for line in audit.ours_settled(self.token, audit.read_ledger(self.ledger) + [_default_root()])
                if f"{self.prefix}-" in line]
        return [f"[{self.worker}@{socket.gethostname()}] {line}" for line in mine]


def _default_root() -> Path:
    from testbed.down import state

    return state.root()


SESSION_KEY = pytest.StashKey[Session]()
