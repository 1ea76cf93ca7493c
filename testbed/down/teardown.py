"""down.teardown: removes exactly what a run recorded in its state (supervisor, monitors, namespaces, files), never by name pattern."""
from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable

from testbed.apply.procs import ProcessId
from testbed.capture.trim import trim_run
from testbed.down import state as run_state
from testbed.down.netlink import kill_processes_in, remove_namespaces
from testbed.down.state import RunDir

SUPERVISOR_GRACE_SECONDS = 5.0


def stop_processes(run: RunDir) -> None:
    """Stop the supervisor (it stops its monitors, which write their stats), then kill any recorded survivor."""
    state = run.read()
    supervisor = ProcessId.from_json(state.get("supervisor"))
    if supervisor:
        supervisor.stop(SUPERVISOR_GRACE_SECONDS)
    for record in state.get("processes", {}).values():
        monitor = ProcessId.from_json(record)
        if monitor and monitor.signal(signal.SIGKILL):
            monitor.wait_gone(2.0)


def destroy(run: RunDir, mark: Callable[[str], None] = lambda phase: None) -> list[str]:
    """Tear a run down completely; safe to call twice and from two processes at once. Returns problems left.
    mark(phase) is called as each step ends (the lab's down timings)."""
    try:
        with run.teardown_lock():
            if not run.exists():
                return []
            stop_processes(run)
            mark("stop processes")
            namespaces = [o["name"] for o in run.read()["objects"] if o["kind"] == "netns"]
            kill_processes_in(namespaces)
            mark("kill processes in namespaces")
            trim_run(run)  # every writer is gone now: a killed one's file is cut to its frames
            mark("trim captures")
            problems = remove_namespaces(list(reversed(namespaces)))
            mark("remove namespaces")
            remove_files([o["path"] for o in run.read()["objects"] if o["kind"] == "file"])
            if not problems:
                run.remove()
            mark("files and state")
            return problems
    except FileNotFoundError:  # another `down` removed the directory while we waited for the lock
        return []


def remove_files(paths: list[str]) -> None:
    """Files the lab created for the run (block devices it was asked to make); gone already is fine."""
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def owner_alive(run: RunDir) -> bool:
    try:
        owner = ProcessId.from_json(run.read().get("owner"))
    except FileNotFoundError:
        return False
    return bool(owner and owner.alive())


def remove_abandoned_dirs() -> list[str]:
    """Removes run directories whose creating or removing process died midway (nothing in them was made yet, or
    everything was already undone); returns their names."""
    removed = []
    for path in run_state.abandoned_dirs():
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def orphaned_runs() -> list[RunDir]:
    """Runs whose owner (the `up` process, or the detached supervisor) is gone: nobody will tear them down."""
    runs = [RunDir.for_run(run_id) for run_id in run_state.run_ids()]
    return [run for run in runs if not owner_alive(run)]
