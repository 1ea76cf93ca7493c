"""tb-wire on its own: bad arguments give one line and exit 2 before anything is opened; a missing TAP exits 1; a
running relay's control socket refuses bad commands with one `error:` line and keeps relaying."""
from __future__ import annotations

import os
import subprocess

import pytest

from testbed import paths
from testbed.apply import relay
from testbed.errors import LabError


def tb_wire(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(paths.tool_path("tb-wire")), *args], capture_output=True, text=True, timeout=10,
                          check=False)


ENDS = ("--a=tap:x0@nowhere", "--b=tap:x1@nowhere", "--control=/nonexistent/dir/s.sock")


@pytest.mark.parametrize("args, message", [
    ((*ENDS, "--ab=loss=2000000"), "tb-wire: --ab: loss: '2000000' is not an integer from 0 to 1000000"),
    ((*ENDS, "--ab=speed=3"), "tb-wire: --ab: unknown key 'speed'"),
    ((*ENDS, "--ba=dist=pareto"), "tb-wire: --ba: dist: 'pareto' is not uniform or normal"),
    ((*ENDS, "--ab=delay"), "tb-wire: --ab: 'delay' is not KEY=VALUE"),
    (("--a=tapx0@nowhere", *ENDS[1:]), "tb-wire: --a: 'tapx0@nowhere' is not KIND:IFNAME@NETNS"),
    (("--a=veth:x0@n", *ENDS[1:]), "tb-wire: --a: kind must be tap or packet"),
    (ENDS[:2], "tb-wire: --a, --b and --control are required"),
    ((*ENDS, "--realtime=2"), "tb-wire: --realtime: 2 is out of range [0, 1]"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, message):
    done = tb_wire(*args)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == message


def test_a_namespace_that_does_not_exist_exits_1(root):
    done = tb_wire(*ENDS)
    assert done.returncode == 1
    assert done.stderr.strip() == "tb-wire: --netns: /run/netns/nowhere: No such file or directory"


def test_bad_control_commands_are_refused_and_the_relay_carries_on(root, topology_file, testbed_lab):
    path = topology_file("ctl", """
        name: ctl
        nodes:
          a: {kind: netns}
          b: {kind: netns}
        links:
          - {endpoints: [a:eth0, b:eth0], subnet: 10.65.0.0/30, impair: {delay: 1ms}}
    """)
    with testbed_lab(path) as lab:
        wire = lab.plan.relays[0]
        for line, why in (("set ab loss=101%", "loss: '101%' is not an integer"), ("set sideways loss=1",
                          "expected stats, down, up"), ("bogus", "expected stats"), ("set ab rate", "not KEY=VALUE")):
            with pytest.raises(LabError, match=why):
                relay.command(lab.run, wire, line)
        assert relay.stats(lab.run, wire)["directions"]["ab"]["config"]["delay_ns"] == 1_000_000
        assert lab.ping("a", "b", count=3, interval=0.05).received == 3


def test_the_relay_takes_the_lowest_real_time_priority_once_it_holds_a_frame(root, topology_file, testbed_lab):
    """So a busy host neither takes its share of a core nor keeps it from running when a frame falls due. (Before,
    it is a normal task, unless the namespaces' own chatter came two frames at once: not asserted.)"""
    path = topology_file("rt", """
        name: rt
        nodes:
          a: {kind: netns}
          b: {kind: netns}
        links:
          - {endpoints: [a:eth0, b:eth0], subnet: 10.66.0.0/30, impair: {}}
    """)
    with testbed_lab(path) as lab:
        wire = lab.plan.relays[0]
        pid = lab.run.read()["processes"][wire.process]["pid"]
        relay.command(lab.run, wire, "set both delay=1000000")
        assert lab.ping("a", "b", count=3, interval=0.05).received == 3
        assert os.sched_getscheduler(pid) == os.SCHED_RR
        assert os.sched_getparam(pid).sched_priority == 1
        assert relay.stats(lab.run, wire)["realtime"] is True


def test_a_burst_crosses_the_relay_whole_and_in_order(root, topology_file, testbed_lab):
    """The relay reads and writes a TAP's frames in batches (one io_uring_enter each): a burst faster than it can be
    carried one frame per wake-up must still arrive every datagram, once, in the order sent."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from testbed.apply import nsenter

    framework = Path(__file__).resolve().parent.parent / "framework"
    path = topology_file("burst", """
        name: burst
        nodes:
          a: {kind: netns}
          b: {kind: netns}
        links:
          - {endpoints: [a:eth0, b:eth0], subnet: 10.67.0.0/30, impair: {}}
    """)
    count = 3000
    with testbed_lab(path) as lab:
        assert lab.ping("a", "b", count=1).received == 1  # the neighbour known: no datagram waits for ARP
        receiver = nsenter.popen(lab.plan.node("b").namespace, [sys.executable, str(framework / "seq_receiver.py"),
                                                                "0.0.0.0", "5302", "--idle=1"],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert receiver.stdout.readline().strip() == "listening"
            sent = lab.exec("a", [sys.executable, str(framework / "udp_sender.py"), lab.address("b"), "5302",
                                  str(count), "64", "1000000", "--blocking"], timeout=60)
            assert json.loads(sent.stdout)["sent"] == count
            got = json.loads(receiver.communicate(timeout=60)[0].strip().splitlines()[-1])
        finally:
            if receiver.poll() is None:
                receiver.kill()
                receiver.wait()
        counters = relay.stats(lab.run, lab.plan.relays[0])["directions"]["ab"]["counters"]
    assert got["seqs"] == list(range(count))
    assert counters["received"] >= count
