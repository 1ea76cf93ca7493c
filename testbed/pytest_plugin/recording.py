"""pytest_plugin.recording: a Lab that remembers what a test measured, so a failed test's folder holds its results."""
from __future__ import annotations

from testbed.lab import Lab


class RecordingLab(Lab):
    """Lab.up(...) builds one of these (cls(...)); ping/check/run_checks results are kept in order as plain dicts."""

    def __init__(self, plan, run):
        super().__init__(plan, run)
        self.results: list[dict] = []

    def ping(self, src: str, dst: str, *args, **kwargs):
        result = super().ping(src, dst, *args, **kwargs)
        self.results.append({"ping": {"from": src, "to": dst, **result.summary()}})
        return result

    def check(self, check):
        result = super().check(check)
        self.results.append({"check": result.model_dump(mode="json")})
        return result
