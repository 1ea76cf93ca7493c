"""run.checks: the check kinds a topology (or a test) can ask for, each measuring real traffic and judging it."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    name: str  # e.g. "ping host -> guest"
    passed: bool
    message: str  # why it failed, or a one-line summary
    spec: dict[str, Any]
    measured: dict[str, Any]
