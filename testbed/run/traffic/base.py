"""run.traffic.base: what every generator or receiver offers the scheduler, and the helpers they share."""
from __future__ import annotations

from testbed.errors import LabError


class TrafficError(LabError):
    """A traffic item could not start or produced no report (a LabError: callers that handle those handle this)."""


class Runner:
    """One traffic item at run time.

    finite: the scheduler waits for it to finish (a generator); otherwise it is a receiver, stopped once every
    finite item is done and it has lingered. Receivers measure CPU between window_started and window_ended."""

    finite = True

    def __init__(self, lab, name: str, spec):
        self.lab, self.name, self.spec = lab, name, spec

    def start(self) -> None:
        """Start it and return once it is ready to send or receive."""

    def window_started(self) -> None:
        pass

    def wait(self) -> None:
        """Block until it finished (finite items only)."""

    def window_ended(self) -> None:
        pass

    def stop(self) -> None:
        """Stop whatever it started; safe to call twice and after a failure. By default: its tool `process`, if any."""
        process = getattr(self, "process", None)
        if process is not None:
            process.stop()

    def result(self, window_s: float) -> dict:
        raise NotImplementedError


def per(value: float | None, count: float | None, scale: float = 1.0) -> float | None:
    return value * scale / count if value is not None and count else None
