"""pytest_plugin.naming: one token per pytest run and the lab-name prefix WORKER-TOKEN that makes a lab ours."""
from __future__ import annotations

import os
import secrets

WORKER_ENV = "PYTEST_XDIST_WORKER"


def new_session_token() -> str:
    return secrets.token_hex(3)


def worker_id(config) -> str:
    """gw0, gw1... under xdist (its own id, so a leaked namespace names the worker), else 'main'."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return workerinput.get("workerid", os.environ.get(WORKER_ENV, "gw"))
    return "main"


def name_prefix(worker: str, token: str) -> str:
    """Fits the planner's 16-character prefix; namespaces become tb-WORKER-TOKEN-RUN-NODE."""
    return f"{worker[:9]}-{token}"


def marks_ours(name: str, token: str) -> bool:
    """A kernel name, a state path or a command line belongs to this pytest run when it carries -TOKEN-."""
    return f"-{token}-" in name
