"""capture.ready: a lab's traffic starts only once every tb-capture has bound its packet socket (it says so on stderr)."""
from __future__ import annotations

import time

from testbed.capture.points import CapturePoint
from testbed.down.state import RunDir
from testbed.errors import LabError

READY_TEXT = b"tb-capture: capturing on "
POLL_SECONDS = 0.01


def wait_captures(run: RunDir, points: list[CapturePoint], timeout: float) -> None:
    waiting = [p for p in points if not p.by_monitor]
    deadline = time.monotonic() + timeout
    while waiting:
        processes = run.read()["processes"]
        for point in list(waiting):
            log = run.console_path(point.key)
            text = log.read_bytes() if log.exists() else b""
            if READY_TEXT in text:
                waiting.remove(point)
            elif processes.get(point.key, {}).get("exit") is not None:
                raise LabError(f"capture of {point.label} failed: {text.decode(errors='replace').strip()}")
        if waiting and time.monotonic() > deadline:
            raise LabError(f"capture of {waiting[0].label}: not capturing within {timeout:g} s")
        if waiting:
            time.sleep(POLL_SECONDS)
