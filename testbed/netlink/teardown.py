"""netlink.teardown: removes a run's namespaces after killing whatever still runs inside them (ownership by namespace inode)."""
from __future__ import annotations

import os
import signal
import time

from pyroute2 import netns

from testbed import nsenter, procs

KILL_WAIT_SECONDS = 2.0


def kill_processes_in(namespaces: list[str]) -> list[int]:
    """SIGKILL every process living in one of our namespaces (e.g. a backgrounded `commands:` entry), then wait."""
    inodes = set()
    for name in namespaces:
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


def remove_namespaces(namespaces: list[str]) -> list[str]:
    """Remove each namespace file; the kernel then destroys its interfaces (veth peers and TAPs included)."""
    problems = []
    for name in namespaces:
        try:
            netns.remove(name)
        except FileNotFoundError:
            continue
        except OSError as exc:
            if os.path.exists(nsenter.netns_path(name)):
                problems.append(f"netns {name}: {exc}")
    return problems
