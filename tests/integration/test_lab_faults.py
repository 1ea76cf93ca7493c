"""Faults: Ctrl-C / SIGTERM during `up` roll back; kill -9 of the orchestrator or the supervisor, then `down --all`,
leaves nothing; two concurrent `down`s of one run; processes started inside a node die with the lab."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from framework.lab import ended, start_cli, wait_paused
from framework.netns import netns_inode
from framework.waits import wait_for, wait_gone
from testbed.down.state import RunDir
from testbed.lab import Lab

CHAIN_NODES = 40


def start_up(path, prefix: str, pause_after: str | None = None) -> subprocess.Popen:
    return start_cli("up", str(path), "--prefix", prefix, pause_after=pause_after, stdout=subprocess.DEVNULL)


def wait_for_namespaces(namespaces_of, prefix: str, at_least: int, process: subprocess.Popen) -> list[str]:
    def namespaces() -> list[str]:
        assert process.poll() is None, f"up ended early: {process.communicate()}"
        return namespaces_of(prefix)
    # A short interval: `up` creates namespaces quickly and the signal must land in the middle.
    return wait_for(namespaces, 20, f"{at_least} namespaces of {prefix}", until=lambda found: len(found) >= at_least,
                    interval=0.002)


SIGNALS = [pytest.param(signal.SIGINT, id="sigint"), pytest.param(signal.SIGTERM, id="sigterm")]


@pytest.mark.parametrize("stage", ["namespaces", "links"])
@pytest.mark.parametrize("signum", SIGNALS)
def test_signal_at_a_stage_of_up_rolls_everything_back(root, chain_file, run_prefix, state_root, namespaces_of,
                                                       signum, stage):
    prefix = f"{run_prefix}-{'i' if signum == signal.SIGINT else 't'}{stage[0]}"
    process = start_up(chain_file(CHAIN_NODES), prefix, pause_after=stage)
    stderr = wait_paused(process, stage)
    assert len(namespaces_of(prefix)) == CHAIN_NODES
    process.send_signal(signum)
    stderr = ended(process, stderr)
    assert process.returncode != 0
    assert namespaces_of(prefix) == [], stderr
    assert not list(state_root.glob("*/state.json")), stderr


@pytest.mark.parametrize("signum", SIGNALS)
def test_signal_in_the_middle_of_creating_namespaces_rolls_back(root, chain_file, run_prefix, state_root,
                                                                namespaces_of, signum):
    prefix = f"{run_prefix}-{'i' if signum == signal.SIGINT else 't'}m"
    process = start_up(chain_file(4 * CHAIN_NODES), prefix)
    wait_for_namespaces(namespaces_of, prefix, 3, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode != 0, "up finished before the signal: nothing was rolled back"
    assert namespaces_of(prefix) == [], stderr
    assert not list(state_root.glob("*/state.json")), stderr


def test_kill_9_during_up_then_down_all_leaves_nothing(root, chain_file, run_prefix, testbed_cli, state_root,
                                                       namespaces_of):
    prefix = f"{run_prefix}-k"
    process = start_up(chain_file(CHAIN_NODES), prefix)
    wait_for_namespaces(namespaces_of, prefix, 5, process)
    process.kill()
    process.wait()
    assert namespaces_of(prefix), "nothing was left to clean: the test proves nothing"
    orphans = json.loads(testbed_cli("status", "--json", check=True).stdout)
    assert [run["owner_alive"] for run in orphans] == [False]
    done = testbed_cli("down", "--all")
    assert done.returncode == 0, done.stderr
    assert namespaces_of(prefix) == []
    assert not list(state_root.glob("*/state.json"))


def test_kill_9_of_the_detached_supervisor_then_down_orphans(root, chain_file, run_prefix, testbed_cli, state_root,
                                                             namespaces_of):
    prefix = f"{run_prefix}-s"
    up = testbed_cli("up", str(chain_file(4)), "--json", "--prefix", prefix, check=True)
    run = RunDir.for_run(json.loads(up.stdout)["run_id"])
    supervisor = run.read()["supervisor"]
    assert run.read()["owner"] == supervisor  # `up` handed the lab to its supervisor
    os.kill(supervisor["pid"], signal.SIGKILL)
    wait_gone(supervisor["pid"], 5, "the killed supervisor to be gone")
    done = testbed_cli("down", "--orphans")
    assert done.returncode == 0 and run.run_id in done.stdout, done.stderr
    assert namespaces_of(prefix) == []
    assert not run.path.exists()


def test_processes_started_in_a_node_die_with_the_lab(root, topology_file, testbed_lab):
    path = topology_file("daemon", """
        name: daemon
        nodes:
          a: {kind: netns, commands: ["sleep 300 &", "echo started"]}
          b: {kind: netns}
        links:
          - {endpoints: [a:eth0, b:eth0], subnet: 10.3.0.0/30}
    """)
    with testbed_lab(path) as lab:
        inode = os.stat(f"/run/netns/{lab.nodes['a'].namespace}").st_ino
        pids = [pid for pid in os.listdir("/proc") if pid.isdigit() and netns_inode(pid) == inode]
        assert pids, "the backgrounded sleep should live in node a"
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}/stat") or netns_inode(pid) != inode


def test_two_concurrent_downs_of_one_run(root, chain_file, run_prefix, namespaces_of):
    lab = Lab.up(chain_file(6), name_prefix=run_prefix)
    attached = Lab.attach(lab.run_id)
    problems: list = []
    threads = [threading.Thread(target=lambda l=l: problems.append(l.down())) for l in (lab, attached)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == [[], []]
    assert namespaces_of(lab.run_id) == []


def test_sigterm_during_the_checks_of_run_takes_the_lab_down(root, topology_file, run_prefix, state_root,
                                                             namespaces_of):
    path = topology_file("slow", """
        name: slow
        nodes:
          a: {kind: netns}
          b: {kind: netns}
        links:
          - {endpoints: [a:eth0, b:eth0], subnet: 10.6.0.0/30}
        checks:
          - ping: {from: a, to: b, count: 1000, interval: 0.01}
    """)
    prefix = f"{run_prefix}-r"
    process = start_cli("run", str(path), "--prefix", prefix, stdout=subprocess.DEVNULL)
    wait_for(lambda: _pinging(namespaces_of(prefix)), 20, "the checks to start pinging")
    assert namespaces_of(prefix), "the lab never came up"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode != 0
    assert namespaces_of(prefix) == [], stderr
    assert not list(state_root.glob("*/state.json"))


def _pinging(namespaces: list[str]) -> bool:
    """True once a ping process runs inside one of these namespaces (the checks have started)."""
    inodes = {os.stat(f"/run/netns/{name}").st_ino for name in namespaces if os.path.exists(f"/run/netns/{name}")}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            in_lab = os.stat(f"/proc/{pid}/ns/net").st_ino in inodes
            if in_lab and Path(f"/proc/{pid}/comm").read_text().strip() == "ping":
                return True
        except OSError:
            continue
    return False


def test_a_taken_namespace_name_fails_up_and_is_left_alone(root, topology_file, run_prefix, namespaces_of,
                                                          monkeypatch):
    """Names carry a random run id, so a clash is rare; when it happens the other owner's namespace survives."""
    from testbed.apply import namespaces
    from testbed.plan import planner

    run_id = f"{run_prefix}-x-000000"
    taken = planner.namespace_name(run_id, "b")
    namespaces.create(taken)
    try:
        monkeypatch.setattr(planner, "new_run_id", lambda prefix=None: run_id)
        path = topology_file("clash", """
            name: clash
            nodes: {a: {kind: netns}, b: {kind: netns}}
            links: [{endpoints: [a:eth0, b:eth0], subnet: 10.9.0.0/30}]
        """)
        with pytest.raises(FileExistsError):
            Lab.up(path)
        assert namespaces_of(run_id) == [taken]
    finally:
        namespaces.remove(taken)
