"""`impair: {engine: netem}` for real: on a kernel with netem, `up` puts the qdiscs on the senders with the topology's
parameters; on one without (this project's CI machine), `up` refuses with one line before creating anything."""
from __future__ import annotations

import json

import pytest
from pyroute2 import NetNS, netns

from testbed.apply import namespaces, netem
from testbed.errors import LabError
from testbed.lab.lifecycle import Lab
from testbed.plan.netem import NetemParams, NetemQdisc

NETEM_LAB = """
    name: netem
    nodes:
      a: {kind: netns}
      b: {kind: netns}
    links:
      - endpoints: [a:eth0, b:eth0]
        subnet: 10.62.0.0/30
        impair: {engine: netem, delay: 20ms, limit: 500, forward: {duplicate: 1%}}
"""
REFUSAL = "testbed: engine: netem: this kernel has no netem qdisc (sch_netem): "


def netem_qdisc(namespace: str, ifname: str):
    with NetNS(namespace) as ns:
        (index,) = ns.link_lookup(ifname=ifname)
        qdiscs = [q for q in ns.get_qdiscs(index=index) if q.get_attr("TCA_KIND") == "netem"]
    assert len(qdiscs) == 1, f"{namespace}:{ifname} has {len(qdiscs)} netem qdiscs"
    return qdiscs[0].get_attr("TCA_OPTIONS")


def test_up_applies_netem_where_the_kernel_has_it_and_refuses_cleanly_where_not(root, topology_file, testbed_cli,
                                                                                run_prefix, state_root):
    ours = f"tb-{run_prefix}"
    before = set(netns.listnetns())
    up = testbed_cli("up", str(topology_file("netem", NETEM_LAB)), "--json", "--prefix", run_prefix)
    if netem.probe() != 0:  # this kernel has no netem: the refusal, and nothing of the run anywhere
        assert up.returncode != 0
        lines = up.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(REFUSAL), up.stderr
        assert "a:eth0--b:eth0" in lines[0] and "use engine: ours" in lines[0]
        appeared = set(netns.listnetns()) - before
        assert not [name for name in appeared if name.startswith(ours)], appeared
        assert list(state_root.iterdir()) == []  # not even the run's state directory
        return
    assert up.returncode == 0, up.stderr
    run_id = json.loads(up.stdout)["run_id"]
    try:
        lab = Lab.attach(run_id)
        forward = netem_qdisc(lab.plan.node("a").namespace, "eth0")
        reverse = netem_qdisc(lab.plan.node("b").namespace, "eth0")
        assert forward["limit"] == reverse["limit"] == 500
        assert forward["duplicate"] == netem.probability(1) and reverse["duplicate"] == 0
        assert forward["delay"] > 0 and reverse["delay"] == forward["delay"]
        result = lab.ping("a", "b", count=5, interval=0.05)
        assert result.received >= 4 and result.rtt_min_ms >= 40  # 20 ms each way
    finally:
        testbed_cli("down", run_id, check=True)
    assert not [name for name in set(netns.listnetns()) - before if name.startswith(ours)]


def test_add_puts_netem_on_an_interface_or_names_the_kernels_refusal(root, run_prefix):
    namespace = f"tb-{run_prefix}-netem-add"
    qdisc = NetemQdisc(link=0, name="x:lo--y:lo", direction="forward", namespace=namespace, ifname="lo",
                       params=NetemParams(delay_ns=1_000_000, limit=77, loss=1.0))
    namespaces.create(namespace)
    try:
        if netem.probe() != 0:
            with pytest.raises(LabError) as caught:
                netem.add(qdisc)
            assert str(caught.value) == (f"link x:lo--y:lo: netem (delay 1ms loss 1% limit 77) on lo in {namespace}: "
                                         "No such file or directory")
        else:
            netem.add(qdisc)
            options = netem_qdisc(namespace, "lo")
            assert options["limit"] == 77 and options["loss"] == netem.probability(1)
    finally:
        namespaces.remove(namespace)
    assert namespace not in netns.listnetns()
