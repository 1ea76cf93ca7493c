"""topology.rules.capture: a link's `capture.at` names one of that link's own endpoints (an shm link is captured by
the monitor of that end, whose IO thread then carries the link's frames)."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Topology


def check_captures(topology: Topology) -> Iterator[Finding]:
    for index, link in enumerate(topology.links):
        capture = link.capture
        if capture is None or capture.at is None:
            continue
        ends = [str(end) for end in link.ends]
        if capture.at not in ends:
            yield Finding(("links", index, "capture", "at"),
                          f"{capture.at} is not an end of this link (its ends: {', '.join(ends)})")
