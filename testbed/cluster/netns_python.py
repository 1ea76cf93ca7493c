"""cluster.netns_python: `python -m testbed.cluster.netns_python NETNS STATE_DIR ARGS...` runs python ARGS inside a
network namespace with its own state directory: an emulated host for an execnet popen gateway (python=...)."""
from __future__ import annotations

import os
import sys

from testbed.apply.nsenter import _setns
from testbed.down.state import ROOT_ENV


def main(argv: list[str]) -> None:
    netns, state_dir, *args = argv
    try:
        fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
        _setns(fd)
        os.close(fd)
    except OSError as exc:
        sys.exit(f"netns_python: cannot enter {netns}: {exc.strerror}")
    os.environ[ROOT_ENV] = state_dir
    os.setsid()  # as an agent reached over ssh: a signal to the orchestrator's process group is not ours
    os.execv(sys.executable, [sys.executable, *args])


if __name__ == "__main__":
    main(sys.argv[1:])
