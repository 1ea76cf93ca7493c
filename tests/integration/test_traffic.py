"""Traffic for real: generators deliver what they claim at a fixed rate (into a guest and into the raw-TAP reader),
ping and iperf3 between namespaces, a guest source counted by the host, and every check kind passing and failing
on measured values through `testbed run`."""
from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from framework.lab import start_cli
from framework.waits import wait_for

NO_IPV6 = "{net.ipv6.conf.all.disable_ipv6: 1, net.ipv6.conf.default.disable_ipv6: 1}"
FLOOD = f"""\
name: flood
nodes:
  host: {{kind: netns, sysctls: {NO_IPV6}}}
  guest: {{kind: unikernel, image: udp-sink, io: hypercall}}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
traffic:
  - {{name: sink, app: {{node: guest, linger: 0.5}}}}
  - {{name: flood, udpgen: {{from: host, to: guest, rate: 2000, count: 1000}}}}
"""


@pytest.mark.parametrize("receiver", ["app", "tapread"])
def test_udpgen_delivers_its_count_at_its_rate(kvm, testbed_lab, topology_file, receiver):
    overrides = {} if receiver == "app" else {"traffic.0": {"name": "sink", "tapread": {"node": "guest"}}}
    with testbed_lab(topology_file("flood", FLOOD), set=overrides) as lab:
        figures = lab.run_traffic()
    flood, sink = figures["flood"], figures["sink"]
    assert flood["sent_packets"] == 1000 and flood["errors"] == 0
    assert 0.45 < flood["seconds"] < 0.75, flood  # 1000 packets at 2000/s: paced, not a burst
    assert sink["kind"] == receiver and sink["rx_packets"] == 1000, sink
    assert sink["cpu_s"] is not None and sink["cpu_s"] >= 0
    if receiver == "app":
        assert sink["vm_exits"] > 0 and sink["exits_per_packet"] == sink["vm_exits"] / 1000
        assert sum(sink["rx_per_second"]) == 1000


def test_ping_and_iperf3_between_namespaces(root, testbed_lab, topology_file):
    path = topology_file("tools", """\
        name: tools
        nodes:
          a: {kind: netns}
          b: {kind: netns}
        links:
          - endpoints: [a:eth0, b:eth0]
            subnet: 10.0.0.0/30
        traffic:
          - {name: ping, ping: {from: a, to: b, count: 20, interval: 0.01}}
          - {name: tcp, iperf3: {client: a, server: b, seconds: 1}}
          - {name: udp, iperf3: {client: a, server: b, protocol: udp, rate: 20M, seconds: 1, port: 5202}, delay: 0.5}
          - {name: flood, ping: {from: b, to: a, count: 500, flood: true, size: 1000}}
        """)
    with testbed_lab(path) as lab:
        figures = lab.run_traffic()
    ping, tcp, udp = figures["ping"], figures["tcp"], figures["udp"]
    assert (ping["transmitted"], ping["received"], ping["loss_percent"]) == (20, 20, 0)
    assert 0 < ping["rtt_p50_ms"] <= ping["rtt_p99_ms"] <= ping["rtt_max_ms"]
    assert tcp["bits_per_second"] > 50e6, tcp  # a veth pair carries far more than a shaped link
    assert 0.85 * 20e6 < udp["bits_per_second"] < 1.1 * 20e6, udp  # iperf3 paces UDP to its -b
    assert udp["lost_percent"] < 5
    assert tcp["started_s"] < 0.5 <= udp["started_s"] < 1.0  # started in order, the UDP test after its delay
    flood = figures["flood"]
    assert flood["transmitted"] == flood["received"] == 500 and flood["rtt_max_ms"] >= flood["rtt_min_ms"] > 0


def test_a_guest_source_is_counted_by_the_host(kvm, testbed_lab, topology_file):
    path = topology_file("tx", f"""\
        name: tx
        nodes:
          host: {{kind: netns, sysctls: {NO_IPV6}}}
          guest: {{kind: unikernel, image: udp-source, args: [--dst=10.0.0.1:6000, --count=500, --rate=5000]}}
        links:
          - endpoints: [host:eth0, guest:service0]
            subnet: 10.0.0.0/30
        traffic:
          - {{name: source, app: {{node: guest, finishes: true, timeout: 20}}}}
          - {{name: host, counters: {{node: host, interface: eth0}}}}
        """)
    with testbed_lab(path) as lab:
        figures = lab.run_traffic()
    source, host = figures["source"], figures["host"]
    assert source["tx_packets"] == 500 and source["summary"] and source["guest_exit_status"] == 0
    assert 0.08 < source["seconds"] < 0.2, source  # 500 at 5000/s
    assert 500 <= host["rx_packets"] <= 510, host  # plus the guest's ARP request


CHECKS = f"""\
name: checks
nodes:
  host: {{kind: netns, sysctls: {NO_IPV6}}}
  guest: {{kind: unikernel, image: udp-sink, io: hypercall}}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
traffic:
  - {{name: sink, app: {{node: guest, linger: 0.5}}}}
  - {{name: flood, udpgen: {{from: host, to: guest, rate: 3000, count: 300}}}}
checks:
  - delivered: {{from: flood, to: sink, exact: true, min_packets: 300}}
  - rx_rate: {{traffic: sink, min_pps: 50}}
  - monitor: {{node: guest, max_exits_per_packet: 100, max_drops: 0}}
  - exit_status: {{node: guest, equals: 143}}        # 128 + SIGTERM: the app item stopped it
  - console: {{node: guest, contains: "ready: udp-sink"}}
  - command: {{node: host, run: "cat /proc/sys/net/ipv6/conf/all/disable_ipv6", matches: "^1$"}}
"""
# Each bound moved just past what the passing run measures.
FAILING = {"checks.0.delivered.min_packets": 301, "checks.1.rx_rate.min_pps": 1e9,
           "checks.2.monitor.max_exits_per_packet": 0, "checks.3.exit_status.equals": 0,
           "checks.4.console.contains": "never printed", "checks.5.command.matches": "^0$"}
SAYS = ["received 300 < min_packets 301", "< min_pps 1,000,000,000", "> max_exits_per_packet 0",
        "exit status 143, expected 0", "not found", "output lacks /^0$/"]


def test_every_check_kind_passes_and_fails_when_it_should(kvm, testbed_cli, run_prefix, topology_file, tmp_path):
    path = topology_file("checks", CHECKS)
    out = tmp_path / "pass.json"
    done = testbed_cli("run", str(path), "--json", str(out), "--prefix", run_prefix)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert [c["kind"] for c in report["checks"] if c["passed"]] == [
        "delivered", "rx_rate", "monitor", "exit_status", "console", "command"]
    assert report["traffic"]["sink"]["rx_packets"] == 300 and "traffic" in done.stdout

    out = tmp_path / "fail.json"
    sets = [arg for key, value in FAILING.items() for arg in ("--set", f"{key}={json.dumps(value)}")]
    done = testbed_cli("run", str(path), "--json", str(out), "--prefix", run_prefix, *sets)
    assert done.returncode == 1, done.stdout + done.stderr
    checks = json.loads(out.read_text())["checks"]
    assert not any(c["passed"] for c in checks)
    for check, says in zip(checks, SAYS, strict=True):
        assert says in check["message"], (check["kind"], check["message"])


def _children_named(parent: int, name: str) -> list[int]:
    """Processes called `name` whose parent is `parent` (the orchestrator starts tools directly)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            comm, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            if comm == name and int(fields[1]) == parent:
                found.append(int(entry))
    return found


def test_sigterm_mid_flood_stops_the_generator_and_the_lab(kvm, run_prefix, topology_file, namespaces_of):
    path = topology_file("long", FLOOD.replace("rate: 2000, count: 1000", "rate: 1000, seconds: 60"))
    cli = start_cli("run", str(path), "--prefix", run_prefix, stdout=subprocess.DEVNULL)

    def generators() -> list[int]:
        assert cli.poll() is None, cli.stderr.read()
        return _children_named(cli.pid, "udpgen")
    flood = wait_for(generators, 30, "the run to start udpgen")
    cli.send_signal(signal.SIGTERM)
    assert cli.wait(30) != 0
    assert not Path(f"/proc/{flood[0]}").exists(), "udpgen outlived the run"
    assert namespaces_of(run_prefix) == []


def test_a_flood_to_one_guest_on_a_bridge_reaches_only_that_guest(kvm, testbed_lab, topology_file):
    """The guest's MAC is pinned in the bridge too: without ARP the bridge would flood every frame to every guest."""
    path = topology_file("bridged", f"""\
        name: bridged
        nodes:
          sw: {{kind: bridge, subnet: 10.0.4.0/24}}
          host: {{kind: netns, sysctls: {NO_IPV6}}}
          g1: {{kind: unikernel, image: udp-sink}}
          g2: {{kind: unikernel, image: udp-sink}}
        links:
          - endpoints: [host:eth0, sw:p0]
          - endpoints: [g1:service0, sw:p1]
          - endpoints: [g2:service0, sw:p2]
        traffic:
          - {{name: sink1, app: {{node: g1, linger: 0.3}}}}
          - {{name: sink2, app: {{node: g2, linger: 0.3}}}}
          - {{name: flood, udpgen: {{from: host, to: g1, rate: 5000, count: 500}}}}
        """)
    with testbed_lab(path) as lab:
        figures = lab.run_traffic()
    assert figures["sink1"]["rx_packets"] == 500 and figures["sink2"]["rx_packets"] == 0
    assert figures["sink2"]["nic_rx_packets"] < 10, figures["sink2"]  # not the 500 frames meant for g1
    assert figures["receivers"]["rx_packets"] == 500
