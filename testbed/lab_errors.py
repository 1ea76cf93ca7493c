"""lab_errors: what can go wrong when bringing a lab up or driving it, as exceptions the CLI maps to exit statuses."""
from __future__ import annotations


class LabError(RuntimeError):
    """Bringing up or driving a lab failed; everything created so far has been rolled back (for `up`)."""


class InvalidTopology(ValueError):
    """Bad input (exit status 2): nothing was created. `problems` are `FILE:LINE:COL: path: message` where known."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class NodeNotReady(LabError):
    pass


class Interrupted(KeyboardInterrupt):
    """SIGTERM during `up`, turned into an exception so the rollback runs as for Ctrl-C."""
