"""errors: what can go wrong, as exceptions the CLI maps to exit statuses: bad input (2) and lab failures (1)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake and where it is: a file position, or an override such as "<override nodes.guest.io>"."""

    source: str
    line: int | None
    col: int | None
    path: str  # dotted, e.g. "nodes.guest.memory"; "" when the mistake is about the file as a whole
    message: str

    def sort_key(self) -> tuple:
        return (self.source, self.line or 0, self.col or 0, self.path)

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.col}" if self.col is not None else f":{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class TopologyError(ValueError):
    """Bad input (exit status 2), found before anything was created: a file, an override or a plan that cannot be
    used. `problems` lists every mistake, one line each, as FILE:LINE:COL: path.to.field: message where known."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> "TopologyError":
        return cls([str(p) for p in sorted(problems, key=Problem.sort_key)])


class LabError(RuntimeError):
    """Bringing up or driving a lab failed; everything created so far has been rolled back (for `up`)."""


class NodeNotReady(LabError):
    pass


class Interrupted(KeyboardInterrupt):
    """SIGTERM during `up`, turned into an exception so the rollback runs as for Ctrl-C."""
