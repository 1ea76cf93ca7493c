"""pytest_plugin.audit: what testbed left in the kernel and process table, and which of it belongs to this run.

Ownership, never a broad pattern: a namespace, link, process or state directory is this run's when its name or
command line carries the run's token (every lab of the run is named WORKER-TOKEN-...). State directories are
looked for in every state root a worker recorded in the run's ledger (a test may point TESTBED_STATE_DIR
elsewhere). Testbed objects that appeared during the run but are not ours are only mentioned: another user or
another pytest run may own them.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from testbed.pytest_plugin.naming import marks_ours

NETNS_DIR = Path("/run/netns")
SETTLE_SECONDS = 3.0  # a process killed a moment ago may still be exiting


@dataclass(frozen=True)
class Snapshot:
    namespaces: frozenset[str]
    links: frozenset[str]  # root namespace (testbed never creates links there: veth peers are born in place)
    processes: frozenset[tuple[int, str]]  # testbed's own: monitors and supervisors


def take() -> Snapshot:
    return Snapshot(frozenset(_namespaces()), frozenset(_root_links()),
                    frozenset((pid, line) for pid, line in _processes() if _is_testbed_process(line)))


def ours(token: str, roots: list[Path]) -> list[str]:
    """Everything of this run still present, one line each."""
    found = [f"namespace {name}" for name in _namespaces() if name.startswith("tb-") and marks_ours(name, token)]
    found += [f"root-namespace link {name}" for name in _root_links() if token in name]
    found += [f"process {pid}: {line}" for pid, line in _processes() if marks_ours(line, token)]
    found += [f"state {path}" for path in _run_dirs(roots) if marks_ours(path.name, token)]
    return found


def ours_settled(token: str, roots: list[Path]) -> list[str]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while (found := ours(token, roots)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def strangers(before: Snapshot, token: str) -> list[str]:
    """Testbed objects that appeared during the run, are still there and are not ours (not a failure: not ours)."""
    now = take()
    found = [f"namespace {n}" for n in sorted(now.namespaces - before.namespaces)
             if n.startswith("tb-") and not marks_ours(n, token)]
    found += [f"process {pid}: {line}" for pid, line in sorted(now.processes - before.processes)
              if not marks_ours(line, token)]
    return found


def read_ledger(folder: Path) -> list[Path]:
    """The state roots the workers used (each lab's root is recorded before its up starts)."""
    if not folder.is_dir():
        return []
    return sorted({Path(line) for ledger in folder.glob("*.ledger")
                   for line in ledger.read_text().splitlines() if line})


def append_ledger(folder: Path, worker: str, state_root: Path) -> None:
    folder.mkdir(exist_ok=True)
    with open(folder / f"{worker}.ledger", "a") as f:
        f.write(f"{state_root}\n")


def _run_dirs(roots: list[Path]) -> list[Path]:
    found = []
    for root in dict.fromkeys(roots):
        if root.is_dir():
            found += [entry for entry in sorted(root.iterdir()) if (entry / "state.json").is_file()]
    return found


def _is_testbed_process(line: str) -> bool:
    """A monitor (its program is tb-monitor) or a run's supervisor (python -m testbed.apply.supervise)."""
    argv = line.split()
    return bool(argv) and (argv[0].endswith("/tb-monitor") or argv[1:3] == ["-m", "testbed.apply.supervise"])


def _namespaces() -> list[str]:
    return sorted(os.listdir(NETNS_DIR)) if NETNS_DIR.is_dir() else []


def _root_links() -> list[str]:
    return sorted(os.listdir("/sys/class/net"))


def _processes() -> list[tuple[int, str]]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                raw = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if raw:
                found.append((int(entry), raw.replace(b"\0", b" ").decode(errors="replace").strip()))
    return found
