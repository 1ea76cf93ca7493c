"""Unikernel labs: pingpair and bridge3 pass for real, two copies run at once, monitors die with their supervisor,
and a monitor that exits early or never gets ready fails `up` clearly and leaves nothing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from framework.lab import BRIDGE3, PINGPAIR, REPO, cli_env, ended, start_cli, wait_paused
from framework.waits import LineReader, wait_gone
from testbed.down.state import RunDir
from testbed.errors import NodeNotReady
from testbed.lab import Lab


def test_pingpair_run_passes_with_stats(kvm, testbed_cli, tmp_path, run_prefix, namespaces_of):
    out = tmp_path / "pingpair.json"
    # 5 ms apart, not the example's 0.5 ms: iputils waits only max(2 x the largest RTT, the interval) for the last
    # reply, and on a loaded CI machine a descheduled guest once answered the 100th echo later than that.
    done = testbed_cli("run", str(PINGPAIR), "--json", str(out), "--prefix", run_prefix,
                       "--set", "checks.0.ping.interval=0.005")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    (check,) = report["checks"]
    assert check["passed"] and check["measured"]["received"] == check["spec"]["count"]
    assert report["stats"]["guest"]["vm_exits"] > 0
    assert namespaces_of(report["run_id"]) == []


def test_lab_api_on_pingpair(kvm, run_prefix):
    with Lab.up(PINGPAIR, name_prefix=run_prefix, overrides={"nodes.guest.memory": 16}) as lab:
        assert any(line.startswith("ready:") for line in lab.console("guest").splitlines())
        result = lab.ping("host", "guest", count=20, interval=0.005)
        assert result.destination == "10.0.0.2" and result.loss_percent == 0
        assert "tun type tap" in lab.exec("host", ["ip", "-d", "link", "show", "dev", "eth0"]).stdout
        pid = lab.processes()["guest"]["pid"]
        assert f"--netns={lab.nodes['guest'].namespace}" in Path(f"/proc/{pid}/cmdline").read_text()
    stats = lab.stats("guest")
    assert stats is not None and stats["exit_status"] == 128 + signal.SIGTERM
    assert not os.path.exists(f"/proc/{pid}/stat")


def test_bridge3_run_passes(kvm, testbed_cli, run_prefix):
    done = testbed_cli("run", str(BRIDGE3), "--prefix", run_prefix)
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_pingpairs_at_once(kvm, testbed_lab, namespaces_of):
    with testbed_lab(PINGPAIR) as first, testbed_lab(PINGPAIR) as second:
        assert first.nodes["guest"].namespace != second.nodes["guest"].namespace
        for lab in (first, second):
            assert lab.ping("host", "guest", count=10, interval=0.005).loss_percent == 0
    assert namespaces_of(first.run_id) == [] and namespaces_of(second.run_id) == []


def test_monitor_dies_with_a_killed_supervisor_and_down_all_cleans(kvm, testbed_cli, run_prefix, namespaces_of):
    prefix = f"{run_prefix}-m"
    up = testbed_cli("up", str(PINGPAIR), "--json", "--prefix", prefix, check=True)
    run = RunDir.for_run(json.loads(up.stdout)["run_id"])
    state = run.read()
    monitor_pid = state["processes"]["guest"]["pid"]
    assert testbed_cli("console", "guest", check=True).stdout.startswith("ready:")
    (status,) = json.loads(testbed_cli("status", "--json", check=True).stdout)
    guest = next(row for row in status["nodes"] if row["node"] == "guest")
    assert (guest["pid"], guest["state"]) == (monitor_pid, "running")
    os.kill(state["supervisor"]["pid"], signal.SIGKILL)
    wait_gone(monitor_pid, 5, "the monitor to die with its supervisor")
    assert not os.path.exists(f"/proc/{monitor_pid}/stat"), "the monitor outlived its supervisor"
    done = testbed_cli("down", "--all")
    assert done.returncode == 0, done.stderr
    assert namespaces_of(prefix) == []


def test_monitor_exiting_early_fails_up_with_its_status_and_console(kvm, run_prefix, namespaces_of):
    with pytest.raises(NodeNotReady, match=r"(?s)guest: the monitor exited with status \d+.*unknown argument"):
        Lab.up(PINGPAIR, name_prefix=f"{run_prefix}-e", overrides={"nodes.guest.args": ["--bogus"]})
    assert namespaces_of(f"{run_prefix}-e") == []


def test_lab_outlives_the_thread_that_brought_it_up(kvm, testbed_lab):
    labs = []
    with ExitStack() as stack:
        thread = threading.Thread(target=lambda: labs.append(stack.enter_context(testbed_lab(PINGPAIR))))
        thread.start()
        thread.join()
        (lab,) = labs
        # Not a wait for an event but for its absence: PR_SET_PDEATHSIG would have fired when the thread ended,
        # and a monitor it killed would be gone within this time.
        time.sleep(0.3)
        assert lab.processes()["guest"]["exit"] is None
        assert lab.ping("host", "guest", count=5, interval=0.005).loss_percent == 0


OWNER = """
import sys, time
from testbed.lab import Lab
lab = Lab.up(sys.argv[1], name_prefix=sys.argv[2])
print(lab.run_id, flush=True)
time.sleep(120)  # until the test kills this owner
"""


def test_killed_owner_stops_its_monitors_and_down_all_cleans(kvm, testbed_cli, run_prefix, namespaces_of):
    prefix = f"{run_prefix}-o"
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(PINGPAIR), prefix], stdout=subprocess.PIPE, text=True,
                             cwd=REPO, env=cli_env())
    try:
        run = RunDir.for_run(LineReader(owner.stdout).next_line(60, "the owner to bring its lab up").strip())
        monitor_pid = run.read()["processes"]["guest"]["pid"]
    finally:
        owner.kill()
        owner.wait()
    wait_gone(monitor_pid, 5, "the monitor to die with the process that owned the lab")
    assert not os.path.exists(f"/proc/{monitor_pid}/stat"), "the monitor outlived the process that owned the lab"
    assert namespaces_of(prefix), "nothing was left for down --all: the test proves nothing"
    done = testbed_cli("down", "--all")
    assert done.returncode == 0, done.stderr
    assert namespaces_of(prefix) == [] and not run.path.exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_signal_after_monitors_started_rolls_back_monitors_too(kvm, run_prefix, state_root, namespaces_of, signum):
    prefix = f"{run_prefix}-{'i' if signum == signal.SIGINT else 't'}g"
    process = start_cli("up", str(PINGPAIR), "--prefix", prefix, pause_after="monitors", stdout=subprocess.DEVNULL)
    stderr = wait_paused(process, "monitors")
    (state_file,) = state_root.glob("*/state.json")
    monitor_pid = json.loads(state_file.read_text())["processes"]["guest"]["pid"]
    process.send_signal(signum)
    stderr = ended(process, stderr)
    assert process.returncode != 0
    assert not os.path.exists(f"/proc/{monitor_pid}/stat"), stderr
    assert namespaces_of(prefix) == [] and not state_file.exists(), stderr


def test_two_pingpair_runs_from_two_processes_at_once(kvm, tmp_path, run_prefix, namespaces_of):
    # 10 ms apart: after its last echo iputils waits only max(2 x the largest RTT, the interval), and at 2 ms a run
    # on a loaded CI machine lost its last reply that way (max_loss is 0).
    runs = [start_cli("run", str(PINGPAIR), "--prefix", run_prefix, "--json", str(tmp_path / f"run{i}.json"),
                      "--set", "checks.0.ping.interval=0.01") for i in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(out + err for out, err in outputs)
    reports = [json.loads((tmp_path / f"run{i}.json").read_text()) for i in range(2)]
    assert reports[0]["run_id"] != reports[1]["run_id"]
    assert all(report["checks"][0]["measured"]["loss_percent"] == 0 for report in reports)
    assert namespaces_of(run_prefix) == []
