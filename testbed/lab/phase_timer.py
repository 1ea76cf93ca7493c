"""lab.phase_timer: wall time per phase of a lab's bring-up (load, plan, links, monitors, …), for --json and benchmarks."""
from __future__ import annotations

import time


class PhaseTimer:
    """mark(name) closes the phase that ran since the previous mark (or since the timer was made)."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, name: str) -> None:
        now = time.monotonic()
        self.phases[name] = round(self.phases.get(name, 0.0) + now - self._last, 4)
        self._last = now
