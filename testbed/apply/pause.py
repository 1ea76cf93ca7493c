"""apply.pause: test-only hook: TESTBED_PAUSE_AFTER=STAGE makes `up` announce STAGE on stderr and wait there to be killed."""
from __future__ import annotations

import os
import sys
import time

ENV = "TESTBED_PAUSE_AFTER"
STAGES = ("namespaces", "links", "monitors")  # in the order `up` reaches them


def point(stage: str) -> None:
    """Fault tests kill the orchestrator here, so each stage's leftovers are known to exist when they do."""
    if os.environ.get(ENV) != stage:
        return
    sys.stderr.write(f"testbed: paused after {stage} (pid {os.getpid()})\n")
    sys.stderr.flush()
    while True:  # until a signal ends us: SIGKILL as a crash, SIGINT/SIGTERM raise and roll back as usual
        time.sleep(3600)
