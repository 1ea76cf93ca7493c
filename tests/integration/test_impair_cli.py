"""`testbed impair` and `testbed links` on a running lab, bad impairment values (FILE:LINE:COL and one-line flag
errors), and the relay gone after Ctrl-C and kill -9 (of the orchestrator and of the detached supervisor)."""
from __future__ import annotations

import json
import os
import signal

from framework.lab import ended, start_cli, wait_paused
from framework.waits import wait_for, wait_gone
from testbed.down.state import RunDir

LOSSY = """
    name: lossy
    nodes:
      a: {kind: netns}
      b: {kind: netns}
    links:
      - endpoints: [a:eth0, b:eth0]
        subnet: 10.61.0.0/30
        impair: {delay: 2ms, loss: 1%}
"""


def relay_pids(run: RunDir) -> list[int]:
    return [record["pid"] for name, record in run.read()["processes"].items() if name.startswith("wire:")]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_impair_and_links_change_and_show_a_running_link(root, topology_file, testbed_cli, run_prefix):
    up = testbed_cli("up", str(topology_file("lossy", LOSSY)), "--json", "--prefix", run_prefix, check=True)
    run_id = json.loads(up.stdout)["run_id"]
    try:
        changed = testbed_cli("impair", run_id, "a:eth0", "--delay", "25ms", "--direction", "forward", check=True)
        assert "forward: loss 1% delay 25ms" in changed.stdout and "reverse: loss 1% delay 2ms" in changed.stdout
        ping = testbed_cli("exec", "--run", run_id, "a", "--", "ping", "-c", "3", "-i", "0.2", "10.61.0.2", check=True)
        assert "min/avg/max" in ping.stdout
        rows = json.loads(testbed_cli("links", run_id, "--json", check=True).stdout)
        forward = rows[0]["directions"]["ab"]
        assert forward["config"]["delay_ns"] == 25_000_000 and forward["counters"]["sent"] >= 3
        cleared = testbed_cli("impair", run_id, "b:eth0", "--clear", "--down", check=True)
        assert "forward: DOWN" in cleared.stdout
        table = testbed_cli("links", run_id, check=True).stdout
        assert "down" in table and "a:eth0--b:eth0" in table
        bad = testbed_cli("impair", run_id, "a:eth0", "--loss", "101%")
        assert bad.returncode == 2 and bad.stderr.strip() == "testbed impair: --loss: '101%' is not between 0% and 100%"
        missing = testbed_cli("impair", run_id, "c:eth0", "--loss", "1%")
        assert missing.returncode == 1 and "no impaired link 'c:eth0'" in missing.stderr
    finally:
        testbed_cli("down", run_id, check=True)


def test_bad_impair_values_are_reported_at_their_place(root, topology_file, testbed_cli, state_root):
    path = topology_file("bad", LOSSY.replace("impair: {delay: 2ms, loss: 1%}",
                                              "impair: {delay: 2, loss: 1%, rate: fast, forward: {jitter: -1ms}}"))
    done = testbed_cli("up", str(path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    # Line 9: the file starts with an empty line.
    assert lines == [f"{path}:9:21: links.0.impair.delay: 2 is not a duration with a unit, e.g. 5ms, 250us, 1s",
                     f"{path}:9:40: links.0.impair.rate: 'fast' is not a rate, e.g. 100mbit, 1gbit, 500kbit",
                     (f"{path}:9:64: links.0.impair.forward.jitter: '-1ms' is not a duration with a unit, e.g. 5ms, "
                      "250us, 1s")]
    assert not list(state_root.glob("*/state.json"))


def test_ctrl_c_during_up_ends_the_relay(root, topology_file, run_prefix, state_root, namespaces_of):
    prefix = f"{run_prefix}-wi"
    process = start_cli("up", str(topology_file("lossy", LOSSY)), "--prefix", prefix, pause_after="monitors")
    stderr = wait_paused(process, "monitors")
    run = RunDir(next(state_root.glob(f"{prefix}-*")))
    pids = relay_pids(run)
    assert pids and all(alive(pid) for pid in pids)
    process.send_signal(signal.SIGINT)
    ended(process, stderr)
    assert not any(alive(pid) for pid in pids)
    assert namespaces_of(prefix) == []


def test_kill_9_of_the_orchestrator_ends_the_relay(root, topology_file, run_prefix, state_root, testbed_cli,
                                                   namespaces_of):
    prefix = f"{run_prefix}-wk"
    process = start_cli("up", str(topology_file("lossy", LOSSY)), "--prefix", prefix, pause_after="monitors")
    wait_paused(process, "monitors")
    run = RunDir(next(state_root.glob(f"{prefix}-*")))
    pids = relay_pids(run)
    process.kill()
    process.wait()
    # The supervisor sees its owner die and stops what it started; `down --all` removes the rest.
    wait_for(lambda: not any(alive(pid) for pid in pids), 10, "the relay to end with its owner")
    done = testbed_cli("down", "--all")
    assert done.returncode == 0, done.stderr
    assert namespaces_of(prefix) == []


def test_kill_9_of_the_detached_supervisor_ends_the_relay(root, topology_file, run_prefix, testbed_cli,
                                                          namespaces_of):
    prefix = f"{run_prefix}-ws"
    up = testbed_cli("up", str(topology_file("lossy", LOSSY)), "--json", "--prefix", prefix, check=True)
    run = RunDir.for_run(json.loads(up.stdout)["run_id"])
    pids = relay_pids(run)
    os.kill(run.read()["supervisor"]["pid"], signal.SIGKILL)
    for pid in pids:
        wait_gone(pid, 5, "the relay to die with its supervisor")
    done = testbed_cli("down", "--orphans")
    assert done.returncode == 0, done.stderr
    assert namespaces_of(prefix) == []


def test_links_shows_a_plain_link_by_its_kernel_counters(root, topology_file, testbed_cli, run_prefix):
    path = topology_file("mixed", """
        name: mixed
        nodes:
          a: {kind: netns}
          b: {kind: netns}
          c: {kind: netns}
        links:
          - {endpoints: [a:eth0, b:eth0], subnet: 10.67.0.0/30, impair: {delay: 1ms}}
          - {endpoints: [b:eth1, c:eth0], subnet: 10.67.1.0/30}
    """)
    run_id = json.loads(testbed_cli("up", str(path), "--json", "--prefix", run_prefix, check=True).stdout)["run_id"]
    try:
        testbed_cli("exec", "--run", run_id, "b", "--", "ping", "-c", "3", "-i", "0.1", "10.67.1.2", check=True)
        rows = json.loads(testbed_cli("links", run_id, "--json", check=True).stdout)
        table = testbed_cli("links", run_id, check=True).stdout
    finally:
        testbed_cli("down", run_id, check=True)
    plain = rows[1]
    assert (plain["link"], plain["mechanism"], plain["kernel"]["end"]) == ("b:eth1--c:eth0", "veth", "b:eth1")
    assert plain["kernel"]["state"] == "up" and plain["kernel"]["tx_packets"] >= 3 <= plain["kernel"]["rx_packets"]
    assert "from b:eth1" in table and "none (veth)" in table
