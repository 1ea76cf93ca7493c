"""A tiny sweep for real (2 variants × 2 repeats, 1 s floods): a well-formed results file, a table, PNGs; `report`
renders it again and `compare` of a file with itself finds nothing outside the noise."""
from __future__ import annotations

import json

TINY = """\
name: tiny
nodes:
  host: {kind: netns, sysctls: {net.ipv6.conf.all.disable_ipv6: 1, net.ipv6.conf.default.disable_ipv6: 1}}
  guest: {kind: unikernel, image: udp-sink, io: hypercall}
links:
  - endpoints: [host:eth0, guest:service0]
    subnet: 10.0.0.0/30
traffic:
  - {name: sink, app: {node: guest, linger: 0.3}}
  - {name: flood, udpgen: {from: host, to: guest, rate: max, seconds: 1, gso: 16}}
sweep:
  parameters:
    nodes.guest.io: [hypercall]
  baselines:
    ceiling: {traffic.0: {name: sink, tapread: {node: guest, linger: 0.3}}}
  repeat: 2
  warmup: 0
  metrics: [sink.pps, sink.cpu_us_per_packet]
"""


def test_a_tiny_sweep_writes_results_a_table_and_plots(kvm, testbed_cli, run_prefix, topology_file, tmp_path):
    path, out, plots = topology_file("tiny", TINY), tmp_path / "tiny.json", tmp_path / "plots"
    done = testbed_cli("experiment", str(path), "--json", str(out), "--plots", str(plots), "--prefix", run_prefix,
                       timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    assert results["format"] == "testbed-experiment/1" and len(results["topology_hash"]) == 16
    assert {"kernel", "cpu", "kvm", "cores", "versions", "git", "python"} <= set(results["environment"])
    assert [v["name"] for v in results["variants"]] == ["ceiling", "hypercall"]
    for variant in results["variants"]:
        assert [s["error"] for s in variant["samples"]] == [None, None]
        assert all(s["metrics"]["flood.sent_packets"] > 0 for s in variant["samples"])
        pps = variant["summary"]["sink.pps"]
        assert pps["n"] == 2 and 0 < pps["min"] <= pps["median"] <= pps["max"] and pps["cv"] >= 0
    ratio = results["variants"][1]["summary"]["sink.pps.vs_ceiling"]["median"]
    assert 0 < ratio < 1, ratio  # the guest receives less than the raw TAP reader
    assert "ceiling" in done.stdout and "sink pkt/s" in done.stdout
    assert sorted(p.name for p in plots.iterdir()) == [
        "tiny-sink.cpu_us_per_packet.png", "tiny-sink.pps.png", "tiny-sink.pps.vs_ceiling.png"]

    again = testbed_cli("report", str(out))
    assert again.returncode == 0 and "hypercall" in again.stdout and "2/2" in again.stdout
    same = testbed_cli("compare", str(out), str(out))
    assert same.returncode == 0 and "0 of" in same.stdout, same.stdout
