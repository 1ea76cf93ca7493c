"""down.state: one directory per run (state.json with every object as it is created, consoles, stats), under one root."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_ROOT = "/run/testbed"
ROOT_ENV = "TESTBED_STATE_DIR"
STATE_FILE = "state.json"
PLAN_FILE = "plan.json"  # written once, kept apart so the often rewritten state.json stays small
# A run directory is built and removed under a transient name that says which process does it, so a process killed
# in the middle leaves a directory `down --all` can tell is abandoned (its process is gone), never a bare one.
STAGING_PREFIX, REMOVING_PREFIX = ".new-", ".gone-"


def root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def run_ids() -> list[str]:
    base = root()
    if not base.is_dir():
        return []
    return sorted(entry.name for entry in base.iterdir() if (entry / STATE_FILE).is_file())


def _transient_name(prefix: str, run_id: str) -> str:
    from testbed.apply.procs import ProcessId

    me = ProcessId.me()
    return f"{prefix}{run_id}.{me.pid}.{me.start}"


def abandoned_dirs() -> list[Path]:
    """Run directories a process was building or removing when it died (its transient name names it)."""
    from testbed.apply.procs import ProcessId

    base = root()
    if not base.is_dir():
        return []
    found = []
    for entry in base.iterdir():
        if not entry.name.startswith((STAGING_PREFIX, REMOVING_PREFIX)):
            continue
        try:
            pid, start = (int(part) for part in entry.name.rsplit(".", 2)[1:])
        except ValueError:
            continue  # not a name this module makes: not ours to judge
        if not ProcessId(pid, start).alive():
            found.append(entry)
    return sorted(found)


class RunDir:
    """The files of one run. state.json is only rewritten whole (write + rename) under state.lock."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def for_run(cls, run_id: str) -> RunDir:
        return cls(root() / run_id)

    @classmethod
    def create(cls, run_id: str, initial: dict, plan: dict | None = None) -> RunDir:
        final = root() / run_id
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            raise FileExistsError(f"run directory {final} exists: never adopt another run's directory")
        staging = cls(final.parent / _transient_name(STAGING_PREFIX, run_id))
        staging.path.mkdir()
        for folder in ("console", "stats"):
            (staging.path / folder).mkdir()
        (staging.path / PLAN_FILE).write_text(json.dumps(plan or {}))
        staging._write({**initial, "created_at": time.time(), "objects": [], "processes": {}})
        os.rename(staging.path, final)  # fails on a live run's (non-empty) directory, so none is ever adopted
        return cls(final)

    @property
    def run_id(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return (self.path / STATE_FILE).is_file()

    def console_path(self, node: str) -> Path:
        return self.path / "console" / f"{node}.log"

    def stats_path(self, node: str) -> Path:
        return self.path / "stats" / f"{node}.json"

    def read(self) -> dict:
        with open(self.path / STATE_FILE) as f:
            return json.load(f)

    def read_plan(self) -> dict:
        with open(self.path / PLAN_FILE) as f:
            return json.load(f)

    def update(self, change: Callable[[dict], None]) -> dict:
        """Read, change and rewrite state.json atomically; the orchestrator and the supervisor both write it."""
        with self._locked("state.lock"):
            state = self.read()
            change(state)
            self._write(state)
            return state

    def record(self, kind: str, **fields) -> None:
        """Called before (or, where the kernel picks the id, right after) creating an object, so a crash leaves a trace."""
        self.update(lambda state: state["objects"].append({"kind": kind, **fields}))

    def record_all(self, kind: str, entries: list[dict]) -> None:
        """record() for many objects in one rewrite, before any of them exists (one write per object made
        `up` quadratic in the number of nodes: state.json grows with each)."""
        if entries:
            self.update(lambda state: state["objects"].extend({"kind": kind, **fields} for fields in entries))

    def forget(self, kind: str, **fields) -> None:
        """Withdraw a record whose object turned out not to be ours (its name was taken)."""
        entry = {"kind": kind, **fields}
        self.update(lambda state: state.__setitem__("objects", [o for o in state["objects"] if o != entry]))

    @contextmanager
    def teardown_lock(self) -> Iterator[None]:
        """Serialises concurrent `down`s of one run (never held while waiting for the supervisor's state writes)."""
        with self._locked("teardown.lock"):
            yield

    def remove(self) -> None:
        doomed = self.path.parent / _transient_name(REMOVING_PREFIX, self.run_id)
        try:
            os.rename(self.path, doomed)
        except FileNotFoundError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    def _write(self, state: dict) -> None:
        temporary = self.path / f".{STATE_FILE}.{os.getpid()}"
        with open(temporary, "w") as f:
            f.write(json.dumps(state))  # compact: json's C encoder only runs without indent
        os.replace(temporary, self.path / STATE_FILE)

    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        fd = os.open(self.path / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
