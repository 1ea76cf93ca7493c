"""Netns-only labs end to end: up, ping, exec, down; `run` exit statuses; two copies at once; bad input creates nothing."""
from __future__ import annotations

import json
import threading
from contextlib import ExitStack

import pytest

from testbed.errors import TopologyError
from testbed.lab import Lab

PAIR = """
name: pair
nodes:
  a: {kind: netns}
  b: {kind: netns, sysctls: {net.ipv4.ip_forward: 1}, commands: ["ip link set lo mtu 1500"]}
  sw: {kind: bridge, subnet: 10.5.0.0/24}
  c: {kind: netns}
links:
  - endpoints: [a:eth0, b:eth0]
    subnet: 10.0.0.0/30
    mtu: 1400
  - endpoints: [b:eth1, sw:p1]
    rate: 50mbit
  - endpoints: [c:eth0, sw:p2]
checks:
  - ping: {from: a, to: b, count: 10, interval: 0.002}
  - ping: {from: c, to: b, count: 10, interval: 0.002}
"""

SPLIT = """
name: split
nodes:
  a: {kind: netns}
  b: {kind: netns}
  c: {kind: netns}
  d: {kind: netns}
links:
  - {endpoints: [a:eth0, b:eth0], subnet: 10.1.0.0/30}
  - {endpoints: [c:eth0, d:eth0], subnet: 10.2.0.0/30}
checks:
  - ping: {from: a, to: b, count: 3, interval: 0.01}
  - ping: {from: a, to: c, count: 3, interval: 0.01, timeout: 1}
"""


@pytest.fixture
def pair(topology_file):
    return topology_file("pair", PAIR)


def test_lab_up_ping_exec_and_down_twice(root, pair, run_prefix, state_root, namespaces_of):
    with Lab.up(pair, name_prefix=run_prefix) as lab:
        assert sorted(namespaces_of(lab.run_id)) == sorted(n.namespace for n in lab.nodes.values())
        result = lab.ping("a", "b", count=5, interval=0.01)
        assert (result.received, result.loss_percent) == (5, 0.0)
        assert result.rtt_median_ms is not None and result.rtt_median_ms > 0
        shown = lab.exec("b", ["ip", "-o", "addr", "show", "dev", "eth1"]).stdout
        assert "10.5.0.1/24" in shown
        assert "mtu 1400" in lab.exec("a", ["ip", "-o", "link", "show", "dev", "eth0"]).stdout
        assert "tbf" in lab.exec("b", ["tc", "qdisc", "show", "dev", "eth1"]).stdout
        assert lab.exec("b", ["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip() == "1"
        assert sorted(lab.exec("b", ["ls", "/sys/class/net"]).stdout.split()) == ["eth0", "eth1", "lo"]
        assert lab.exec("a", ["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip() == "0"
        assert [r.passed for r in lab.run_checks()] == [True, True]
        run_id, state_dir = lab.run_id, lab.state_dir
    assert lab.down() == []  # second call is harmless
    assert namespaces_of(run_id) == []
    assert not state_dir.exists()


def test_an_attached_lab_runs_the_checks_its_plan_carries_without_the_file(root, topology_file, run_prefix):
    """The checks come from the lab's state, not from the file again: it may have changed or gone since up."""
    path = topology_file("split", SPLIT)
    with Lab.up(path, overrides={"checks.1.ping.to": "b"}, name_prefix=run_prefix) as lab:
        path.unlink()
        attached = Lab.attach(lab.run_id)
        results = attached.run_checks()
        assert [(r.name, r.passed) for r in results] == [("ping a -> b", True), ("ping a -> b", True)]


def test_run_exit_zero_and_json_holds_measured_values(root, pair, testbed_cli, tmp_path, run_prefix, namespaces_of):
    out = tmp_path / "result.json"
    done = testbed_cli("run", str(pair), "--json", str(out), "--prefix", run_prefix)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["passed"] is True
    assert [c["measured"]["received"] for c in report["checks"]] == [10, 10]
    assert namespaces_of(report["run_id"]) == []


def test_run_exit_one_when_a_check_fails(root, tmp_path, testbed_cli, run_prefix, topology_file):
    out = tmp_path / "result.json"
    done = testbed_cli("run", str(topology_file("split", SPLIT)), "--json", str(out), "--prefix", run_prefix)
    assert done.returncode == 1, done.stdout + done.stderr
    checks = json.loads(out.read_text())["checks"]
    assert [c["passed"] for c in checks] == [True, False]
    assert checks[1]["measured"]["loss_percent"] == 100.0


def test_invalid_topology_exits_two_and_creates_nothing(root, testbed_cli, run_prefix, state_root, topology_file,
                                                      namespaces_of):
    bad = topology_file("bad", PAIR.replace("sw:p2", "ghost:p2"))
    before = namespaces_of(run_prefix)
    done = testbed_cli("up", str(bad), "--prefix", run_prefix)
    assert done.returncode == 2
    assert "ghost" in done.stderr
    assert namespaces_of(run_prefix) == before
    assert list(state_root.iterdir()) == []
    with pytest.raises(TopologyError):
        Lab.up(bad, name_prefix=run_prefix)


def test_two_copies_of_one_file_at_once_do_not_collide(root, pair, testbed_lab):
    labs, errors = [], []
    with ExitStack() as stack:
        def bring_up():
            try:
                labs.append(stack.enter_context(testbed_lab(pair)))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=bring_up) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        first, second = labs
        assert first.run_id != second.run_id
        assert not {n.namespace for n in first.nodes.values()} & {n.namespace for n in second.nodes.values()}
        for lab in labs:
            assert lab.ping("c", "b", count=3, interval=0.01).loss_percent == 0


def test_cli_up_status_exec_down(root, pair, testbed_cli, run_prefix, namespaces_of):
    up = testbed_cli("up", str(pair), "--json", "--prefix", run_prefix, check=True)
    summary = json.loads(up.stdout)
    run_id = summary["run_id"]
    try:
        assert {row["node"] for row in summary["nodes"]} == {"a", "b", "sw", "c"}
        status = json.loads(testbed_cli("status", "--json", check=True).stdout)
        assert [s["run_id"] for s in status] == [run_id] and status[0]["owner_alive"]
        done = testbed_cli("exec", "a", "--", "ping", "-c", "1", "-W", "2", "10.0.0.2")
        assert done.returncode == 0, done.stderr
        assert testbed_cli("exec", "a", "--", "false").returncode == 1
        assert testbed_cli("exec", "a", "--", "sh", "-c", "kill -9 $$").returncode == -9  # the command's own end
        assert testbed_cli("exec", "sw", "--", "ls", "/sys/class/net").stdout.split() == ["lo", "p1", "p2", "sw"]
    finally:
        down = testbed_cli("down", run_id)
    assert down.returncode == 0, down.stderr
    assert namespaces_of(run_id) == []


def test_shipped_netns_pair_example_passes(root, testbed_cli, run_prefix):
    done = testbed_cli("run", "topologies/netns-pair.yaml", "--prefix", run_prefix)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pass" in done.stdout and "FAIL" not in done.stdout
