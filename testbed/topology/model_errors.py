"""topology.model_errors: pydantic's errors as located Problems, reworded where pydantic's words don't help."""
from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from testbed.errors import Problem
from testbed.topology.locator import Locator
from testbed.topology.model_fields import allowed_fields
from testbed.topology.schema import ENDPOINT_RE, FIELD_HINTS, MAC_RE, NAME_RE, NODE_KINDS

RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
MISSING = object()  # below a missing field: nothing left in the data to walk
# What containerlab users write, and what it is here.
CONTAINERLAB_WORDS = {
    "linux": "containerlab's linux nodes are netns nodes here",
    "ovs-bridge": "use kind: bridge",
    "topology": "nodes, links and checks go at the top level here, with no topology: wrapper",
    "exec": "commands run in a netns node go in commands:",
    "mgmt": "there is no management network here: each node has its own namespace",
}
PATTERN_WORDS = {
    NAME_RE: "a name starts with a letter, then up to 30 letters, digits, '_' or '-'",
    MAC_RE: "a MAC is six hex pairs, e.g. 02:00:00:00:00:01",
    ENDPOINT_RE: "an endpoint is NODE:IFNAME, e.g. host:eth0",
}


def problems_from(error: ValidationError, data: Any, locator: Locator) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        path, at_key = data_path(item["loc"], data)
        at_key = at_key or item["type"] == "extra_forbidden"  # point at the unknown name, not its value
        path, message = _reword(item, path)
        problems.append(locator.problem(path, message, at_key))
    return _merge_union_alternatives(problems)


def data_path(loc: tuple, data: Any) -> tuple[tuple, bool]:
    """loc as a path into the data: without union tags and member labels; at_key for a bad mapping key."""
    path: list[str | int] = []
    node, at_key = data, False
    for part in loc:
        if part == "[key]":
            at_key = True
        elif node is MISSING:
            path.append(part)
        elif isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            path.append(part)
            node = node[part] if part < len(node) else MISSING
        elif isinstance(node, dict) and node.get("kind") != part:
            path.append(part)  # a required field that isn't there
            node = MISSING
        # else: a discriminated union's tag, or the label of a union member (str, int): not in the data
    return tuple(path), at_key


def _reword(item: dict, path: tuple) -> tuple[tuple, str]:
    kind, message, value = item["type"], item["msg"], item.get("input")
    message = message.removeprefix("Value error, ")
    if kind == "union_tag_invalid":
        tag = value.get("kind")
        path, message = (*path, "kind"), _with_containerlab_word(
            f"unknown kind {tag!r}: use one of {', '.join(NODE_KINDS)}", tag)
    elif kind == "union_tag_not_found":
        message = f"a node needs a kind: one of {', '.join(NODE_KINDS)}"
    elif kind == "extra_forbidden":
        message = _unknown_field(item["loc"])
    elif kind == "missing":
        message = "missing item" if isinstance(path[-1], int) else "required field missing"
    elif kind == "model_type" and not path:
        message = "the file should be a mapping of name, nodes, links and checks"
    elif kind == "string_pattern_mismatch":
        pattern = (item.get("ctx") or {}).get("pattern")
        message = f"{value!r}: {PATTERN_WORDS.get(pattern, message)}"
    elif kind in RANGE_ERRORS and FIELD_HINTS.get(_field_name(path)):
        message = f"{value} is out of range"  # the hint says the unit and the bounds
    elif _is_scalar(value) and str(value) not in message:
        message += f", got {value!r}"
    explained = kind in ("value_error", "string_pattern_mismatch")  # by our validators and PATTERN_WORDS
    hint = None if explained else FIELD_HINTS.get(_field_name(path))
    return path, f"{message} ({hint})" if hint else message


def _with_containerlab_word(message: str, word: object) -> str:
    extra = CONTAINERLAB_WORDS.get(word) if isinstance(word, str) else None
    return f"{message} ({extra})" if extra else message


def _unknown_field(loc: tuple) -> str:
    name, allowed = str(loc[-1]), allowed_fields(loc)
    message = f"unknown field {name!r}"
    close = difflib.get_close_matches(name, allowed, n=1)
    if close:
        message += f": did you mean {close[0]!r}?"
    message = _with_containerlab_word(message, name)
    return message + (f" (allowed: {', '.join(allowed)})" if allowed else "")


def _field_name(path: tuple) -> str | None:
    names = [part for part in path if isinstance(part, str)]
    return names[-1] if names else None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _merge_union_alternatives(problems: list[Problem]) -> list[Problem]:
    """A value that fits no member of a union (str | int) gets one error per member: say it once."""
    merged: dict[tuple, Problem] = {}
    for problem in problems:
        key = (problem.source, problem.line, problem.col, problem.path)
        if key in merged:
            first = merged[key]
            merged[key] = Problem(first.source, first.line, first.col, first.path,
                                  f"{first.message}; or {problem.message}")
        else:
            merged[key] = problem
    return list(merged.values())
