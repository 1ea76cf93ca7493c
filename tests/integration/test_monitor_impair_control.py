"""test_monitor_impair_control: a monitor's impairments changed at run time through its control file
(--impair-control=PATH), and the counters it publishes there; per io mode (hypercall, event, hybrid, solo5-ring)."""
from __future__ import annotations

import re
import subprocess

import pytest

from framework.monitor import EXIT_CONFIG, run_monitor
from framework.netns import in_ns, ping_guest, static_neighbour
from testbed import paths
from testbed.apply import nic_control
from testbed.apply.nic_control import RX, TX, Control, config_of, create
from testbed.errors import LabError

GUEST_MAC = "02:00:00:00:51:02"
IO_MODES = pytest.mark.parametrize("io", ["hypercall", "event", "hybrid", "solo5-ring"])


def replies(ping_stdout: str) -> int:
    return len(set(re.findall(r"icmp_seq=(\d+) ", ping_stdout)))


def guest(guest_app, tmp_path, io: str, *flags: str):
    app = "ring-ping" if io == "solo5-ring" else "ping-serve"
    control = tmp_path / "monitor.ctl"
    create(control)
    process = guest_app(app, io=io, mac=GUEST_MAC, stats=True,
                        flags=(f"--impair-control={control}", "--impair-link:service0=5", *flags))
    return process, control


@IO_MODES
def test_a_spec_written_at_run_time_changes_the_link_and_the_counters_follow(kvm, tap_ns, guest_app, tmp_path, io):
    static_neighbour(tap_ns, GUEST_MAC)
    process, path = guest(guest_app, tmp_path, io, "--impair-rx:service0=seed=3")
    assert "20 received" in ping_guest(tap_ns, 20, interval=0.01, wait=1).stdout
    with Control(path, "link") as control:
        assert control.spec("service0", RX) == "seed=3" and control.spec("service0", TX) == ""
        before = control.read("service0", RX)
        assert before["config"]["seed"] == 3 and before["config"]["loss_ppm"] == 0
        assert before["counters"]["received"] >= 20 and before["counters"]["dropped"] == 0
        control.write("service0", RX, "loss=1000000,seed=3")  # everything the guest receives is lost
        lost = ping_guest(tap_ns, 10, interval=0.01, wait=0.5).stdout
        assert replies(lost) == 0, lost
        during = control.read("service0", RX)
        assert during["config"]["loss_ppm"] == 1000000 and during["applied"] == 1
        assert during["counters"]["dropped"] >= 10
        # The packet index carried on through the change: nothing was counted twice or restarted.
        assert during["counters"]["received"] == during["counters"]["sent"] + during["counters"]["dropped"]
        control.write("service0", RX, "seed=3")
        control.write("service0", TX, "down=1,seed=3")  # TX had no spec: its plain engine takes one now
        assert replies(ping_guest(tap_ns, 5, interval=0.01, wait=0.5).stdout) == 0
        control.write("service0", TX, "seed=3")
        back = ping_guest(tap_ns, 10, interval=0.01, wait=1).stdout
        assert replies(back) == 10, back
        tx = control.read("service0", TX)
        assert tx["counters"]["down_drops"] >= 1 and tx["counters"]["sent"] >= 30
    process.stop()
    final = process.stats()["nics"]["service0"]["impair"]
    assert final["rx"]["dropped"] >= 10 and final["tx"]["down_drops"] >= 1


def test_a_bad_spec_is_refused_and_the_old_one_kept(kvm, tap_ns, guest_app, tmp_path):
    process, path = guest(guest_app, tmp_path, "hypercall", "--impair:service0=seed=1")
    # The monitor takes a spec when the guest next polls: pings keep this guest polling.
    pinger = subprocess.Popen(in_ns(tap_ns.netns, "ping", "-q", "-i", "0.01", "-w", "20", tap_ns.guest_ip),
                              stdout=subprocess.DEVNULL)
    try:
        with Control(path, "link") as control:
            every = ("down=0,loss=5000,ge=1,p=1,r=2,lossgood=3,lossbad=4,delay=1000000,jitter=2000,dist=normal,"
                     "rate=1000000,limit=50,reorder=5,duplicate=6,corrupt=7,seed=9")
            control.write("service0", TX, every)  # every field, as the monitor publishes it and Python reads it
            assert control.read("service0", TX)["config"] == config_of(every)
            assert not control.read("service0", TX)["pending"]
            control.write("service0", RX, "loss=1000000,seed=1")
            with pytest.raises(LabError, match="refused 'bogus=1'"):
                control.write("service0", RX, "bogus=1")
            state = control.read("service0", RX)
    finally:
        pinger.kill()
        pinger.wait()
    assert state["config"]["loss_ppm"] == 1000000 and state["rejected"] == 1 and state["applied"] == 1
    process.stop()


def test_an_unusable_control_path_is_refused_in_one_line(kvm, tap_ns, tmp_path):
    image = str(paths.test_image("nic-info"))
    net = f"--net:service0={tap_ns.tap}@{tap_ns.netns}"
    proc = run_monitor(net, "--impair:service0=loss=1", f"--impair-control={tmp_path}/none/x.ctl", image, timeout=30)
    assert proc.returncode == EXIT_CONFIG and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"tb-monitor: --impair-control={tmp_path}/none/x.ctl: "), proc.stderr


def test_garbage_in_the_control_file_is_refused_and_the_monitor_runs_on(kvm, tap_ns, guest_app, tmp_path):
    """Anyone who can write the file is not trusted: a spec area full of bytes with no NUL, and a sequence left odd,
    are refused or waited out; the guest keeps answering."""
    process, path = guest(guest_app, tmp_path, "event", "--impair:service0=seed=1")
    with Control(path, "link") as control:
        at = control._dir("service0", RX)
        nic_at = at - nic_control.DIRS_AT - nic_control.DIR_BYTES
        seq = control._u64(control._map, at + nic_control.SPEC_SEQ_AT)
        control._map[at + nic_control.SPEC_AT:at + nic_control.SPEC_AT + nic_control.SPEC_MAX] = b"\xff" * 256
        control._store(at + nic_control.SPEC_SEQ_AT, seq + 2)
        control._store(nic_at + nic_control.GENERATION_AT, 7)
        assert "5 received" in ping_guest(tap_ns, 5, interval=0.01, wait=1).stdout
        assert control.read("service0", RX)["rejected"] == 1
        control._store(at + nic_control.SPEC_SEQ_AT, seq + 3)  # a writer that died mid-write: never taken
        control._store(nic_at + nic_control.GENERATION_AT, 8)
        assert "5 received" in ping_guest(tap_ns, 5, interval=0.01, wait=1).stdout
        state = control.read("service0", RX)
        assert state["rejected"] == 1 and state["applied"] == 0 and state["config"]["seed"] == 1
    process.stop()
    assert process.stats()["nics"]["service0"]["impair"]["rx"]["dropped"] == 0


@pytest.mark.parametrize("io", ["hypercall", "event"])
def test_an_idle_guests_monitor_still_takes_a_change_within_its_period(kvm, tap_ns, guest_app, tmp_path, io):
    """No traffic at all: the monitor wakes at least every 100 ms to look, so a refusal is reported at once and a
    good change is taken (not left pending until the next frame)."""
    process, path = guest(guest_app, tmp_path, io, "--impair:service0=seed=1")
    with Control(path, "link") as control:
        with pytest.raises(LabError, match="refused 'loss=2000000'"):
            control.write("service0", TX, "loss=2000000")
        control.write("service0", TX, "delay=1000000,seed=1")
        state = control.read("service0", TX)
    assert not state["pending"] and state["applied"] == 1 and state["config"]["delay_ns"] == 1_000_000
    process.stop()
