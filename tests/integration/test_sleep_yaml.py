"""sleep: hlt and halt_poll_ns from the topology: the lab starts the monitor with them, and its --stats show the guest
slept halted in KVM and was woken by the NMI (never by a POLL exit) while a host pinged it; on a guest pair the end
whose monitor mediates the shm link sleeps halted and every echo comes back."""
from __future__ import annotations

import json
import time

from testbed.lab import Lab


def guest_summary(lab: Lab, node: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in lab.console(node).splitlines():
            if line.startswith('{"summary"'):
                return json.loads(line)
        time.sleep(0.05)
    raise AssertionError(f"{node} printed no summary:\n{lab.console(node)[-2000:]}")


def assert_woken_halted(stats: dict, poll_ns: int) -> None:
    sleep = stats["sleep"]
    assert sleep["mode"] == "hlt" and sleep["halt_poll_ns"] == poll_ns, sleep
    assert sleep["io_hlt_wakes"] >= 1 and sleep["io_poll_wakes"] == 0, sleep
    assert stats["hypercalls"]["poll"] == 0, stats["hypercalls"]  # it never slept in a POLL exit


def test_a_host_pings_a_guest_that_sleeps_halted(kvm, topology_file, run_prefix):
    path = topology_file("sleepyaml", """
        name: sleepyaml
        nodes:
          host: {kind: netns}
          guest: {kind: unikernel, image: ping-serve, io: event, memory: 16, sleep: hlt, halt_poll_ns: 200000}
        links:
          - {endpoints: [host:eth0, guest:service0], subnet: 10.0.0.0/30}
        """)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        argv = lab.processes()["guest"]["argv"]
        assert argv.index("--sleep=hlt") < argv.index("--halt-poll-ns=200000") < argv.index("--")
        result = lab.ping("host", "guest", count=50, interval=0.005, timeout=30)
    assert result.received == 50, result
    assert_woken_halted(lab.stats("guest"), 200000)


def test_the_mediating_end_of_a_guest_pair_sleeps_halted(kvm, topology_file, run_prefix):
    # impair: the first end's monitor carries the link through its IO thread, which wakes its halted guest; the
    # second end is direct and keeps sleep: exit (hlt there is refused at load).
    path = topology_file("sleepypair", """
        name: sleepypair
        nodes:
          a: {kind: unikernel, image: ping-serve, io: event, memory: 16, sleep: hlt, halt_poll_ns: 200000}
          b: {kind: unikernel, image: ping-guest, io: event, memory: 16, args: [--to=10.34.0.1, --count=200]}
        links:
          - {endpoints: [a:service0, b:service0], subnet: 10.34.0.0/24, impair: {loss: 0%}}
        """)
    with Lab.up(path, name_prefix=run_prefix) as lab:
        assert "--sleep=hlt" in lab.processes()["a"]["argv"] and "--sleep=hlt" not in lab.processes()["b"]["argv"]
        result = guest_summary(lab, "b")
    assert result["received"] == 200 and result["lost"] == 0, result
    assert_woken_halted(lab.stats("a"), 200000)
