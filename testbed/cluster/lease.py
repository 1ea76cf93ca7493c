"""cluster.lease: a host's part lives while the orchestrator renews its lease; a keeper tears it down once it lapses."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from testbed.down.state import ROOT_ENV, RunDir

LEASE_FILE = "lease.json"
OWNER_FILE = "cluster.json"  # which cluster and host this run is part of, and who asked for it
KEEPER_POLL_SECONDS = 0.25
DEFAULT_LEASE_SECONDS = 30.0


def grant(run: RunDir, seconds: float) -> None:
    """(Re)write the lease: it now lapses `seconds` from now (wall clock: the keeper is another process)."""
    temporary = run.path / f".{LEASE_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps({"expires": time.time() + seconds, "seconds": seconds}))
    os.replace(temporary, run.path / LEASE_FILE)


def expires(run: RunDir) -> float | None:
    """When the lease lapses; None when the run has none (not a cluster part) or is gone."""
    try:
        return float(json.loads((run.path / LEASE_FILE).read_text())["expires"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def start_keeper(run: RunDir) -> int:
    """A process of its own session, so it outlives the agent and the gateway that started it."""
    env = {**os.environ, ROOT_ENV: str(run.path.parent)}
    with open(run.path / "keeper.log", "ab") as log:
        keeper = subprocess.Popen([sys.executable, "-m", "testbed.cli", "agent", "keep", run.run_id], env=env,
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                  close_fds=True)
    return keeper.pid


def keep(run: RunDir, poll: float = KEEPER_POLL_SECONDS) -> str:
    """Wait until the run is gone (its `down` ran) or its lease lapses (then take it down). Says which."""
    while True:
        deadline = expires(run)
        if deadline is None or not run.exists():
            return "gone"
        if time.time() >= deadline:
            from testbed.lab.lifecycle import Lab

            Lab.attach(run.run_id).down()
            return "lapsed"
        time.sleep(min(poll, max(0.0, deadline - time.time())))


def write_owner(run: RunDir, owner: dict) -> None:
    (run.path / OWNER_FILE).write_text(json.dumps(owner))


def read_owner(run: RunDir) -> dict | None:
    try:
        return json.loads(Path(run.path / OWNER_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
