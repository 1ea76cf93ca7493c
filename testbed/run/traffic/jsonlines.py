"""run.traffic.jsonlines: the JSON objects among a tool's or a guest's output lines (ours print one per line)."""
from __future__ import annotations

import json
from collections.abc import Iterable


def json_objects(lines: Iterable[str]) -> list[dict]:
    found = []
    for line in lines:
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


def last_with(lines: Iterable[str], key: str) -> dict | None:
    """The last JSON object that has `key` (e.g. "summary", "rx_packets")."""
    return next((obj for obj in reversed(json_objects(lines)) if key in obj), None)
