"""The pytest plugin across machines: `pytest --tx GATEWAY --tx GATEWAY --dist each`, with each gateway's python
inside an emulated host (its own network namespace and state directory), as `--tx ssh=...` reaches real ones.
Every worker's labs get names of their own while the same topology (same subnets) runs on both at once, and a lab
left behind on a worker is found by that worker on its machine and named in the controller's report."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_plugin import inner, namespaces_with, run_inner, run_token  # noqa: F401 - inner is a fixture

from framework.hosts import EmulatedHosts
from framework.lab import NETNS_PAIR

TESTS = """
    import json, os, pathlib
    from testbed.lab import Lab

    OUT = pathlib.Path({out!r})

    def test_pair(testbed_lab):
        with testbed_lab({topology!r}) as lab:
            result = lab.ping("left", "right", count=5, interval=0.02)
            (OUT / f"{{os.environ['PYTEST_XDIST_WORKER']}}.json").write_text(json.dumps({{
                "run": lab.run_id, "received": result.received, "netns": os.readlink("/proc/self/ns/net"),
                "state": str(lab.state_dir), "namespaces": [n.namespace for n in lab.plan.nodes]}}))

    def test_forgets_its_lab(testbed_name_prefix):
        Lab.up({topology!r}, name_prefix=testbed_name_prefix)  # never torn down: a leak on this worker's host
"""


@pytest.fixture
def two_hosts(root, state_root, run_prefix):
    hosts = EmulatedHosts(f"{run_prefix}-tx", state_root / "hosts", ["h1", "h2"], underlay_octet=90)
    yield hosts.create()
    for host in hosts.names:  # the leaked labs, by ownership: each host's own state directory
        env = {**os.environ, "TESTBED_STATE_DIR": str(hosts.state_dir(host))}
        subprocess.run([sys.executable, "-m", "testbed.cli", "down", "--all"], env=env, capture_output=True,
                       timeout=60, check=False)
    hosts.remove()


def test_workers_on_two_hosts_name_their_labs_apart_and_report_their_own_leaks(two_hosts, inner, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    out.mkdir()
    gateways = [arg for host in two_hosts.names for arg in ("--tx", two_hosts.gateway(host))]
    returncode, output = run_inner(inner, {"test_spread.py": TESTS.format(out=str(out), topology=str(NETNS_PAIR))},
                                   "-p", "xdist", *gateways, "--dist", "each", timeout=180)
    assert returncode == 1 and "4 passed" in output, output  # all passed; the leaks fail the run
    seen = {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
    assert set(seen) == {"gw0", "gw1"}
    assert all(record["received"] == 5 for record in seen.values())  # the same subnets, at once, apart
    assert seen["gw0"]["run"].startswith("gw0-") and seen["gw1"]["run"].startswith("gw1-")
    assert not set(seen["gw0"]["namespaces"]) & set(seen["gw1"]["namespaces"])
    host_netns = {f"net:[{os.stat(f'/run/netns/{two_hosts.namespace(h)}').st_ino}]" for h in two_hosts.names}
    assert {record["netns"] for record in seen.values()} == host_netns  # each worker ran inside its host
    assert {Path(record["state"]).parent for record in seen.values()} == {two_hosts.state_dir(h)
                                                                         for h in two_hosts.names}
    section = output.split("left behind by this run", 1)[1]
    token = run_token(section)
    for worker in ("gw0", "gw1"):  # each worker's leak, found by that worker where it ran
        assert f"[{worker}@" in section and f"{worker}-{token}-" in section, section
    assert namespaces_with(token)  # really left until the fixture's down --all
