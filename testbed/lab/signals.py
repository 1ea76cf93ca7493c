"""lab.signals: SIGINT/SIGTERM become exceptions while a lab is brought up or used, and are held off during teardown."""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from testbed.errors import Interrupted

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGTERM raises like Ctrl-C (Interrupted) so rollbacks and `finally: down()` run (main thread only).

    Forked helpers inherit these handlers and may be stopped with signals: there they just exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def raise_interrupted(signum, frame):
        if os.getpid() != owner:  # inherited by a forked helper: die as the default action would
            os._exit(128 + signum)
        raise KeyboardInterrupt() if signum == signal.SIGINT else Interrupted(f"signal {signum}")

    with _handlers(raise_interrupted):
        yield


@contextmanager
def signals_ignored() -> Iterator[None]:
    """A second Ctrl-C must not cut a rollback or teardown short and leave half a lab."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _handlers(signal.SIG_IGN):
        yield


@contextmanager
def _handlers(handler) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
