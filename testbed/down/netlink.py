"""down.netlink: removes a run's namespaces after killing whatever still runs inside them (ownership by namespace inode)."""
from __future__ import annotations

import os
import signal
import time

from testbed.apply import namespaces, nsenter, procs

KILL_WAIT_SECONDS = 2.0
REMOVE_WORKERS = 4


def kill_processes_in(names: list[str]) -> list[int]:
    """SIGKILL every process living in one of our namespaces (e.g. a backgrounded `commands:` entry), then wait."""
    inodes = set()
    for name in names:
        try:
            inodes.add(os.stat(nsenter.netns_path(name)).st_ino)
        except FileNotFoundError:
            continue
    if not inodes:
        return []
    victims = [pid for inode, pids in procs.pids_by_netns().items() if inode in inodes for pid in pids
               if pid != os.getpid()]
    identities = [identity for identity in map(procs.ProcessId.of, victims) if identity]
    for identity in identities:
        identity.signal(signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    for identity in identities:
        identity.wait_gone(max(0.0, deadline - time.monotonic()))
    return victims


def remove_namespaces(names: list[str]) -> list[str]:
    """Remove each namespace file; the kernel then destroys its interfaces (veth peers and TAPs included)."""
    problems = [f"netns {name}: {exc}" for name, exc in namespaces.remove_all(names, workers=REMOVE_WORKERS)]
    # Trust, but verify: a run's state is only deleted when nothing it recorded is left.
    problems += [f"netns {name}: still present after removal" for name in names
                 if os.path.lexists(nsenter.netns_path(name))]
    return problems
