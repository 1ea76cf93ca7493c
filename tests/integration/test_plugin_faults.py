"""Faults the plugin's users meet, each ending with nothing left: kill -9 of `up` at each stage, then down --all;
a guest that crashes while its lab comes up; two worker processes tearing down at the same moment.

Covered elsewhere (not repeated here): a monitor killed mid-test and Ctrl-C in a test (test_plugin.py); SIGINT and
SIGTERM during up, kill -9 of the detached supervisor, two downs of one run from threads, kill -9 of a lab's owner
after up (test_lab_faults.py, test_lab_unikernel.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from framework.lab import PINGPAIR, cli_env, start_cli, wait_paused
from framework.waits import LineReader
from testbed import paths
from testbed.apply.pause import STAGES
from testbed.apply.procs import ProcessId
from testbed.errors import NodeNotReady


def session_members(sid: int) -> list[str]:
    """Processes still in a session: what a killed orchestrator may have forked (helpers, nsenter children)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(pid)
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_kill_9_of_up_at_each_stage_then_down_all_leaves_nothing(kvm, stage, run_prefix, state_root, testbed_cli,
                                                                  namespaces_of):
    prefix = f"{run_prefix}-{stage[0]}"
    up = start_cli("up", str(PINGPAIR), "--prefix", prefix, pause_after=stage, stdout=subprocess.DEVNULL,
                   start_new_session=True)
    wait_paused(up, stage)
    (state_file,) = state_root.glob("*/state.json")
    state = json.loads(state_file.read_text())
    kinds = {o["kind"] for o in state["objects"]}
    assert len(namespaces_of(prefix)) == 2 and ("tap" in kinds) == (stage != "namespaces"), state
    monitor = ProcessId.from_json(state["processes"].get("guest"))
    assert (monitor is not None and monitor.alive()) == (stage == "monitors"), state
    up.kill()
    up.wait()
    if monitor:
        assert monitor.wait_gone(5), "the monitor outlived the orchestrator that was starting it"
    done = testbed_cli("down", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert namespaces_of(prefix) == [] and not state_file.parent.exists()
    supervisor = ProcessId.from_json(state.get("supervisor"))
    assert not (supervisor and supervisor.alive()) and session_members(up.pid) == []


def test_a_guest_crashing_while_its_lab_comes_up_takes_the_whole_lab_down(kvm, testbed_lab, testbed_name_prefix,
                                                                          tmp_path, namespaces_of):
    topology = tmp_path / "crash.yaml"
    topology.write_text(textwrap.dedent(f"""
        name: crash
        nodes:
          host:    {{kind: netns}}
          guest:   {{kind: unikernel, image: ping-serve}}
          crasher: {{kind: unikernel, image: {paths.test_image("null-deref")}}}  # reads address 0 in ring 3
        links:
          - {{endpoints: [host:eth0, guest:service0], subnet: 10.0.0.0/30}}
    """))
    crashed = pytest.raises(NodeNotReady, match=r"(?s)crasher: the monitor exited with status 126.*#PF")
    with crashed, testbed_lab(topology):
        pass
    assert namespaces_of(testbed_name_prefix) == []
    own = [pid for pid in filter(str.isdigit, os.listdir("/proc")) if _cmdline_has(pid, testbed_name_prefix)]
    assert own == [], "a monitor of the crashed lab is still running"


def _cmdline_has(pid: str, text: str) -> bool:
    try:
        return text in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


WORKER = """
import json, sys, threading
from testbed.lab import Lab
own = Lab.up(sys.argv[1], name_prefix=sys.argv[2])
print(own.run_id, flush=True)
other = Lab.attach(sys.stdin.readline().strip())  # the other worker's lab, attached before anyone tears down
print("attached", flush=True)
sys.stdin.readline()  # go
problems = []
threads = [threading.Thread(target=lambda lab=lab: problems.append(lab.down())) for lab in (own, other)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(problems), flush=True)
"""


def test_two_workers_tearing_down_at_the_same_moment(kvm, run_prefix, namespaces_of):
    """Each worker process downs its own lab and the other's at once: four downs of two runs, two processes."""
    prefix = f"{run_prefix}-w"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(PINGPAIR), prefix], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=cli_env())
               for _ in range(2)]
    said = [LineReader(worker.stdout) for worker in workers]
    try:
        runs = [out.next_line(60, "a worker's lab to be up").strip() for out in said]
        assert all(runs) and len(namespaces_of(prefix)) == 4, runs
        monitors = [ProcessId.from_json(json.loads(Path(f"{os.environ['TESTBED_STATE_DIR']}/{run}/state.json")
                                                   .read_text())["processes"]["guest"]) for run in runs]
        for worker, other in zip(workers, reversed(runs)):
            worker.stdin.write(f"{other}\n")
            worker.stdin.flush()
        assert [out.next_line(30, "a worker to attach the other's lab") for out in said] == ["attached", "attached"]
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [json.loads(out.next_line(60, "a worker's teardown problems")) for out in said]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    assert results == [[[], []], [[], []]]
    assert namespaces_of(prefix) == [] and not any(m.alive() for m in monitors)
