"""run.checks.exit_status: a guest's exit status, waiting (bounded) for a guest that stops by itself."""
from __future__ import annotations

import time

from testbed.apply.confinement import SANDBOX_KILL_STATUS, SANDBOX_KILLED
from testbed.run.checks import CheckResult
from testbed.topology.schema import ExitStatusCheck


def exit_status(lab, node: str) -> int | None:
    stats = lab.stats(node)
    if stats and stats.get("exit_status") is not None:
        return stats["exit_status"]
    return (lab.processes().get(node) or {}).get("exit")


def _status_text(status: int) -> str:
    return f"exit status {status}" + (f" ({SANDBOX_KILLED})" if status == SANDBOX_KILL_STATUS else "")


def judge(lab, spec: ExitStatusCheck) -> CheckResult:
    deadline = time.monotonic() + spec.timeout
    while (status := exit_status(lab, spec.node)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    passed = status == spec.equals
    message = (f"still running after {spec.timeout:g} s" if status is None else _status_text(status)) + \
        ("" if passed else f", expected {spec.equals}")
    return CheckResult(kind="exit_status", name=f"exit status {spec.node}", passed=passed, message=message,
                       spec=spec.model_dump(), measured={"exit_status": status})
