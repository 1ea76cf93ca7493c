"""topology.rules.findings: what a static check reports: a path into the topology, a message, and a related place."""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from testbed.topology.source import DataPath


@dataclass(frozen=True)
class Finding:
    path: DataPath
    message: str
    see: DataPath | None = None  # the other half of a clash (the first use, the overlapped subnet)
    at_key: bool = False  # the mistake is the mapping key (a name), not its value


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    """"unknown node 'gust': did you mean 'guest'? (nodes: host, guest)"."""
    known = list(known)
    message = f"unknown {kind} {name!r}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f": did you mean {close[0]!r}?"
    return f"{message} ({kind}s: {', '.join(known) or 'none'})"
