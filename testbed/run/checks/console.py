"""run.checks.console: a guest's console contains a text or a line matches a regular expression."""
from __future__ import annotations

import re

from testbed.run.checks import CheckResult
from testbed.topology.schema import ConsoleCheck


def found(text: str, contains: str | None, matches: str | None) -> str | None:
    """The first line that satisfies the check, or None."""
    for line in text.splitlines():
        if (contains is not None and contains in line) or (matches is not None and re.search(matches, line)):
            return line
    if contains is not None and contains in text:  # a text spanning lines
        return contains
    return None


def judge(text: str, spec: ConsoleCheck) -> CheckResult:
    pattern = f"contains {spec.contains!r}" if spec.contains is not None else f"matches /{spec.matches}/"
    line = found(text, spec.contains, spec.matches)
    tail = " | ".join(text.strip().splitlines()[-3:])
    message = f"found: {line.strip()[:120]}" if line is not None else f"not found; console ends: {tail[-200:]}"
    return CheckResult(kind="console", name=f"console {spec.node} {pattern}", passed=line is not None,
                       message=message, spec=spec.model_dump(), measured={"line": line})
