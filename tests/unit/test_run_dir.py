"""RunDir: a run directory appears whole or not at all, goes whole, and one a killed process left half made or half
removed is found by its owner's death and removed by `testbed down --all` (nothing else is touched)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from testbed.down import state
from testbed.down.teardown import remove_abandoned_dirs


@pytest.fixture
def state_root(tmp_path, monkeypatch):
    monkeypatch.setenv(state.ROOT_ENV, str(tmp_path))
    return tmp_path


def _dead_process() -> tuple[int, int]:
    from testbed.apply.procs import ProcessId

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    me = ProcessId.of(child.pid)
    child.kill()
    child.wait()
    return me.pid, me.start


def test_create_leaves_only_the_finished_directory(state_root):
    run = state.RunDir.create("r1", {"owner": None}, plan={"x": 1})
    assert sorted(p.name for p in state_root.iterdir()) == ["r1"]
    assert run.exists() and run.read_plan() == {"x": 1} and state.run_ids() == ["r1"]


def test_create_never_adopts_a_taken_id(state_root):
    state.RunDir.create("r1", {})
    with pytest.raises(FileExistsError):
        state.RunDir.create("r1", {})
    assert sorted(p.name for p in state_root.iterdir()) == ["r1"]


def test_remove_leaves_nothing(state_root):
    run = state.RunDir.create("r1", {})
    run.remove()
    run.remove()  # a second down of the same run finds nothing to do
    assert list(state_root.iterdir()) == []


def test_only_directories_of_dead_processes_are_abandoned(state_root):
    pid, start = _dead_process()
    dead_new = state_root / f"{state.STAGING_PREFIX}r2.{pid}.{start}"
    dead_gone = state_root / f"{state.REMOVING_PREFIX}r3.{pid}.{start}"
    mine = state_root / state._transient_name(state.STAGING_PREFIX, "r4")
    foreign = state_root / ".new-something-else"
    for path in (dead_new, dead_gone, mine, foreign):
        (path / "console").mkdir(parents=True)
    assert state.abandoned_dirs() == sorted([dead_new, dead_gone])
    assert remove_abandoned_dirs() == sorted([dead_new.name, dead_gone.name])
    assert sorted(p.name for p in state_root.iterdir()) == sorted([mine.name, foreign.name])


def test_down_all_removes_an_abandoned_directory(state_root):
    pid, start = _dead_process()
    abandoned = state_root / f"{state.STAGING_PREFIX}r5.{pid}.{start}"
    abandoned.mkdir()
    done = subprocess.run([sys.executable, "-m", "testbed.cli", "down", "--all"], capture_output=True, text=True,
                          env={**os.environ, state.ROOT_ENV: str(state_root)}, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert abandoned.name in done.stdout and not abandoned.exists()
