"""The forward app: a chain a — r1 — r2 — b of unikernel forwarders passes pings end to end in every IO mode, with
r1 — r2 an shm link (ring modes) or TAPs on a bridge, decrements TTL once per hop, and counts what it cannot
forward; a star of four spokes around a forward4 hub routes between all of them."""
from __future__ import annotations

import json

import pytest

from framework.lab import TOPOLOGIES
from testbed.lab import Lab

CHAIN, STAR = TOPOLOGIES / "chain.yaml", TOPOLOGIES / "star.yaml"
RING_MODES = ("poll", "event", "hybrid")
# solo5-ring serves Solo5's own guests only; hypercall guests meet over TAPs (shm needs a ring mode).
CASES = [("hypercall", "tap"), *((io, kind) for io in RING_MODES for kind in ("shm", "tap"))]
# 20 echoes a second: in poll mode each forwarder spins two threads, so a chain of two is four spinning threads on
# a 2-core CI machine, and the path fell behind 100 echoes a second (RTTs growing 24 -> 344 ms). Then echoes queue,
# and iputils counts a reply later than twice the largest RTT so far after the last send as lost: a slow path, not
# a lossy one, would fail the test.
PING_INTERVAL = 0.05
# Poll mode spins every guest's vCPU: four spinning threads share the 2 cores, RTTs reach 6-9 ms on a loaded CI
# machine and the last reply of three at 50 ms came too late once; 200 ms gives it that long.
POLL_PING_INTERVAL = 0.2


def _chain_overrides(io: str, link_type: str | None = None) -> dict:
    return {"nodes.r1.io": io, "nodes.r2.io": io, **({"links.1.type": link_type} if link_type else {})}


@pytest.mark.parametrize(("io", "link_type"), CASES)
def test_chain_of_four_pings_end_to_end(kvm, run_prefix, io, link_type):
    with Lab.up(CHAIN, name_prefix=run_prefix, overrides=_chain_overrides(io, link_type)) as lab:
        shm = [nic.name for m in lab.plan.monitors for nic in m.shm_nics]
        assert shm == (["net1", "net0"] if link_type == "shm" else [])
        interval = POLL_PING_INTERVAL if io == "poll" else PING_INTERVAL
        result = lab.ping("a", "b", count=20, interval=interval)
        assert result.loss_percent == 0, result
        # Linux starts at TTL 64; two forwarders each take one.
        ttl = lab.exec("a", ["ping", "-c", "1", "-W", "2", "10.20.2.2"]).stdout
        assert "ttl=62" in ttl, ttl
        assert lab.ping("a", "10.20.1.2", count=3, interval=interval).loss_percent == 0  # r2 answers for itself


def test_forwarder_counts_unroutable_and_ttl_expired(kvm, run_prefix):
    with Lab.up(CHAIN, name_prefix=run_prefix, overrides={**_chain_overrides("event"),
                                                            "nodes.r1.args": ["--seconds=4"]}) as lab:
        assert lab.ping("a", "b", count=3, interval=0.01).loss_percent == 0
        lab.exec("a", ["ping", "-c", "2", "-i", "0.01", "-W", "1", "-t", "1", "10.20.2.2"])  # dies at r1
        lab.exec("a", ["ip", "route", "add", "10.99.0.0/16", "via", "10.20.0.2"])
        lab.exec("a", ["ping", "-c", "2", "-i", "0.01", "-W", "1", "10.99.0.1"])  # r1 has no route there
        summary = _wait_summary(lab, "r1")
    assert summary["ttl_expired"] == 2 and summary["no_route"] == 2
    assert summary["forwarded"] >= 6  # 3 requests out, 3 replies back


def test_star_routes_between_every_spoke(kvm, run_prefix):
    with Lab.up(STAR, name_prefix=run_prefix) as lab:
        assert {nic.name for m in lab.plan.monitors if m.node == "hub" for nic in m.shm_nics} == {"net2", "net3"}
        for src, dst in (("h1", "h2"), ("h1", "g3"), ("h2", "g4"), ("h2", "g3")):
            assert lab.ping(src, dst, count=5, interval=0.01).loss_percent == 0, (src, dst)


def _wait_summary(lab: Lab, node: str, timeout: float = 10.0) -> dict:
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in lab.console(node).splitlines():
            if line.startswith('{"summary"'):
                return json.loads(line)
        time.sleep(0.1)
    raise AssertionError(f"{node} printed no summary:\n{lab.console(node)}")
