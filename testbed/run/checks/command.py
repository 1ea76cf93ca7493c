"""run.checks.command: a shell command in a netns node: its exit status and its output."""
from __future__ import annotations

import subprocess

from testbed.run.checks import CheckResult
from testbed.run.checks.console import found
from testbed.topology.schema import CommandCheck


def judge(lab, spec: CommandCheck) -> CheckResult:
    try:
        done = lab.exec(spec.node, ["/bin/sh", "-c", spec.run], timeout=spec.timeout, stderr=subprocess.STDOUT)
        status, output = done.returncode, done.stdout or ""
    except subprocess.TimeoutExpired:
        status, output = None, ""
    problems = []
    if status is None:
        problems.append(f"timed out after {spec.timeout:g} s")
    elif spec.exit_status is not None and status != spec.exit_status:
        problems.append(f"exit status {status}, expected {spec.exit_status}")
    if (spec.contains is not None or spec.matches is not None) and found(output, spec.contains, spec.matches) is None:
        what = f"{spec.contains!r}" if spec.contains is not None else f"/{spec.matches}/"
        problems.append(f"output lacks {what}: {' | '.join(output.strip().splitlines()[-2:])[-160:]!r}")
    return CheckResult(kind="command", name=f"command {spec.node}: {spec.run[:40]}", passed=not problems,
                       message="; ".join(problems) or f"exit status {status}", spec=spec.model_dump(),
                       measured={"exit_status": status, "output": output[-2000:]})
