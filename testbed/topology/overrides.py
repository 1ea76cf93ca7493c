"""topology.overrides: sets dotted paths such as {"nodes.guest.io": "event"} in a topology's data before validation."""
from __future__ import annotations

import copy
from typing import Any

from testbed.errors import Problem, TopologyError
from testbed.topology.source import DataPath, parse_value


def override_label(dotted: str) -> str:
    """Where an override's problems are reported, in place of FILE:LINE:COL."""
    return f"<override {dotted}>"


def parse_assignment(text: str) -> tuple[str, object]:
    """"PATH=VALUE" from a command line (TopologyError when malformed), VALUE read as YAML so that 64 is a number and [a, b] a list.

    Every verb reads values with this, and with the topology file's own YAML reading, so one flag means
    one thing everywhere; an empty VALUE is the empty string."""
    dotted, sep, raw = text.partition("=")
    if not sep or not dotted.strip():
        raise TopologyError([f"--set {text!r}: write PATH=VALUE, e.g. nodes.guest.io=event"])
    if not raw.strip():
        return dotted.strip(), ""
    try:
        value = parse_value(raw, override_label(dotted.strip()))
    except ValueError as exc:
        raise TopologyError([f"--set {text!r}: the value is not valid YAML: {exc}"]) from None
    return dotted.strip(), value


def apply_overrides(data: Any, overrides: dict[str, object]) -> tuple[Any, list[DataPath], list[Problem]]:
    """A copy of `data` with each override set; the paths set; problems for paths that don't exist.

    Every step but the last must exist; the last may be new (a field left at its default), and
    validation then says whether the model has such a field."""
    data = copy.deepcopy(data)
    applied: list[DataPath] = []
    problems: list[Problem] = []
    for dotted, value in overrides.items():
        path, problem = _set(data, dotted, copy.deepcopy(value))
        if problem:
            problems.append(problem)
        else:
            applied.append(path)
    return data, applied, problems


def _set(data: Any, dotted: str, value: object) -> tuple[DataPath, Problem | None]:
    parts = dotted.split(".")
    path: list[str | int] = []
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return (), _missing(dotted, path, f"{part!r} is not an index of this list of {len(node)}")
            part = int(part)
        elif not isinstance(node, dict):
            return (), _missing(dotted, path, "is a single value: it has no fields")
        elif part not in node and not last:
            return (), _missing(dotted, [*path, part], "does not exist in the file")
        path.append(part)
        if last:
            node[part] = value
        else:
            node = node[part]
    return tuple(path), None


def _missing(dotted: str, path: list[str | int], message: str) -> Problem:
    return Problem(override_label(dotted), None, None, ".".join(map(str, path)) or "(top)", message)
