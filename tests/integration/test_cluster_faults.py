"""Faults of labs that span hosts: a killed orchestrator's parts go when their leases lapse; an unreachable host
fails the up naming it, with nothing built anywhere; a part that fails on one host takes the others down."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from framework.hosts import EmulatedHosts
from framework.lab import REPO, run_namespaces
from framework.waits import wait_for
from testbed.errors import LabError
from testbed.lab import Lab

PAIR = """\
name: xpair
nodes:
  a: {kind: netns, host: h1}
  b: {kind: netns, host: h2}
  c: {kind: netns, host: h2}
links:
  - {endpoints: [a:eth0, b:eth0], subnet: 10.0.0.0/30}
  - {endpoints: [b:eth1, c:eth0], subnet: 10.0.0.4/30}
"""
LEASE_SECONDS = 2.0

ORCHESTRATOR = """\
import sys
from testbed.cluster.orchestrator import ClusterLab
from testbed.topology.load import load_topology
lab = ClusterLab.up(load_topology(sys.argv[1]), name_prefix=sys.argv[2], lease_seconds={lease})
print(" ".join(lab.part_runs.values()), flush=True)
sys.stdin.read()  # until killed
"""



def part_runs_left(hosts: EmulatedHosts) -> list[str]:
    return [path.parent.name for path in hosts.state_base.glob("*/*/state.json")]


def keepers_alive(hosts: EmulatedHosts) -> list[int]:
    """Keeper processes whose command line names a run under these hosts' state directories."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if b"keep" in cmdline and str(hosts.state_base).encode() in environ:
            found.append(int(entry))
    return found


def test_a_killed_orchestrator_leaves_nothing_once_the_leases_lapse(emulated_hosts, topology_file, run_prefix):
    hosts = emulated_hosts("h1", "h2")
    path = topology_file("xpair", hosts.hosts_yaml() + PAIR)
    script = textwrap.dedent(ORCHESTRATOR.format(lease=LEASE_SECONDS))
    orchestrator = subprocess.Popen([sys.executable, "-c", script, str(path), run_prefix], cwd=REPO,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        runs = orchestrator.stdout.readline().split()
        assert len(runs) == 2, f"the orchestrator did not come up: {orchestrator.poll()}"
        assert all(run_namespaces(run) for run in runs)
        assert len(keepers_alive(hosts)) == 2
    finally:
        os.killpg(orchestrator.pid, signal.SIGKILL)  # the orchestrator and its gateways' agents, at once
        orchestrator.wait()
    wait_for(lambda: part_runs_left(hosts) + [ns for run in runs for ns in run_namespaces(run)], 30,
             "the parts to go when their leases lapse", until=lambda left: not left)
    wait_for(lambda: keepers_alive(hosts), 10, "the keepers to end", until=lambda alive: not alive)


def test_an_orchestrator_killed_while_the_parts_come_up_leaves_nothing(emulated_hosts, topology_file, run_prefix):
    """Killed mid-up: each agent sees its gateway close and rolls its part back, or, once up, its lease lapses."""
    hosts = emulated_hosts("h1", "h2")
    nodes = [f"  n{i}: {{kind: netns, host: h{1 + i // 150}}}" for i in range(300)]
    links = [f"  - {{endpoints: [n{i}:r, n{i + 1}:l], subnet: 10.{i // 64}.{(i % 64) * 4}.0/30}}" for i in range(299)]
    path = topology_file("xlong", hosts.hosts_yaml() + "\n".join(["name: xlong", "nodes:", *nodes, "links:", *links]))
    script = textwrap.dedent(ORCHESTRATOR.format(lease=LEASE_SECONDS))
    orchestrator = subprocess.Popen([sys.executable, "-c", script, str(path), run_prefix], cwd=REPO,
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: run_namespaces(run_prefix), 60, "the parts to start making namespaces",
                 until=lambda found: len(found) >= 20, interval=0.01)
    finally:
        os.killpg(orchestrator.pid, signal.SIGKILL)
        orchestrator.wait()
    wait_for(lambda: part_runs_left(hosts) + run_namespaces(run_prefix), 60, "nothing of the parts to be left",
             until=lambda left: not left)
    wait_for(lambda: keepers_alive(hosts), 10, "the keepers to end", until=lambda alive: not alive)


def test_an_orchestrator_that_stops_renewing_loses_its_parts(emulated_hosts, topology_file, run_prefix):
    """The agents still run (their gateways are open) but no renewal comes: the lease decides, not the channel."""
    hosts = emulated_hosts("h1", "h2")
    path = topology_file("xpair", hosts.hosts_yaml() + PAIR)
    from testbed.cluster.orchestrator import ClusterLab
    from testbed.topology.load import load_topology

    lab = ClusterLab.up(load_topology(path), name_prefix=run_prefix, lease_seconds=LEASE_SECONDS)
    try:
        runs = list(lab.part_runs.values())
        lab._stop_renewing.set()
        wait_for(lambda: [ns for run in runs for ns in run_namespaces(run)] + part_runs_left(hosts), 30,
                 "the parts to lapse", until=lambda left: not left)  # namespaces go first, then the state
    finally:
        assert lab.down() == []  # the agents answer: nothing of theirs is left to take down


def test_an_unreachable_host_is_named_and_nothing_is_built(emulated_hosts, topology_file, run_prefix):
    hosts = emulated_hosts("h1", "h2")
    text = hosts.hosts_yaml().replace(f"/run/netns/{hosts.namespace('h2')}", "/run/netns/tb-no-such-host")
    path = topology_file("xpair", text + PAIR)
    with pytest.raises(LabError, match=r"^host h2: unreachable through gateway"):
        Lab.up(path, name_prefix=run_prefix)
    assert part_runs_left(hosts) == []
    assert run_namespaces(run_prefix) == []


def test_a_part_that_fails_on_one_host_takes_the_others_down(emulated_hosts, topology_file, run_prefix):
    hosts = emulated_hosts("h1", "h2")
    hosts.state_dir("h2").rmdir()
    hosts.state_dir("h2").write_text("not a directory: h2's part cannot record itself")
    path = topology_file("xpair", hosts.hosts_yaml() + PAIR)
    try:
        with pytest.raises(LabError, match=r"^host h2: "):
            Lab.up(path, name_prefix=run_prefix)
        assert part_runs_left(hosts) == []
        assert run_namespaces(run_prefix) == []
        wait_for(lambda: keepers_alive(hosts), 5, "h1's keeper to see its part gone", until=lambda alive: not alive)
    finally:
        hosts.state_dir("h2").unlink()


def test_a_part_not_valid_on_its_host_is_named_with_the_field(emulated_hosts, topology_file, run_prefix, tmp_path):
    """An image path that exists where the orchestrator loads the topology but not on the host that runs it."""
    import shutil

    from testbed import paths
    from testbed.cluster.orchestrator import ClusterLab
    from testbed.topology.load import load_topology

    hosts = emulated_hosts("h1", "h2")
    image = tmp_path / "mine.hvt"
    shutil.copy(paths.resolve_image("ping-serve"), image)
    path = topology_file("ximage", hosts.hosts_yaml() + textwrap.dedent(f"""\
        name: ximage
        nodes:
          a: {{kind: netns, host: h1}}
          g: {{kind: unikernel, image: {image}, host: h2}}
        links:
          - {{endpoints: [a:eth0, g:service0], subnet: 10.0.0.0/30}}
        """))
    topology = load_topology(path)
    image.unlink()
    with pytest.raises(LabError, match=rf"^host h2: its part is not valid here: nodes\.g\.image: image file {image} "):
        ClusterLab.up(topology, name_prefix=run_prefix)
    assert part_runs_left(hosts) == [] and run_namespaces(run_prefix) == []


def test_a_host_whose_python_lacks_testbed_is_named_in_one_line(topology_file, run_prefix):
    path = topology_file("xnopy", """\
        name: xnopy
        hosts:
          h1: {gateway: "popen//python=/usr/bin/python3 -I", underlay: 198.18.0.1}
          h2: {gateway: "popen", underlay: 198.18.0.2}
        nodes:
          a: {kind: netns, host: h1}
          b: {kind: netns, host: h2}
        links:
          - {endpoints: [a:eth0, b:eth0], subnet: 10.0.0.0/30}
        """)
    with pytest.raises(LabError) as caught:
        Lab.up(path, name_prefix=run_prefix)
    assert str(caught.value) == ("host h1: testbed cannot be imported by /usr/bin/python3 there: No module named "
                                 "'testbed' (install it on the host, or give the host's `python:`)")


def test_a_host_lost_mid_run_fails_its_checks_by_name_and_its_part_lapses(emulated_hosts, topology_file,
                                                                         run_prefix):
    from testbed.cluster.orchestrator import ClusterLab
    from testbed.topology.load import load_topology

    hosts = emulated_hosts("h1", "h2")
    path = topology_file("xpair", hosts.hosts_yaml() + PAIR + textwrap.dedent("""\
        checks:
          - ping: {from: a, to: b, count: 3, interval: 0.02}
          - ping: {from: b, to: a, count: 3, interval: 0.02}
        """))
    lab = ClusterLab.up(load_topology(path), name_prefix=run_prefix, lease_seconds=LEASE_SECONDS)
    try:
        os.kill(lab.links["h2"].agent["pid"], signal.SIGKILL)  # h2's agent gone; its part stays until the lease
        from_a, from_b = lab.run_checks()
        assert from_a.passed, from_a.message  # the data path does not need the agent
        assert not from_b.passed and from_b.message.startswith("host h2: no answer to check"), from_b.message
    finally:
        problems = lab.down()
    assert len(problems) == 1 and problems[0].startswith("host h2: ") and "lease lapses" in problems[0], problems
    wait_for(lambda: part_runs_left(hosts) + run_namespaces(run_prefix), 30, "h2's part to lapse",
             until=lambda left: not left)
