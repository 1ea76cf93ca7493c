"""test_datapath_cpus: --cpu-vcpu, --cpu-io and --io-nice pin the monitor's threads (read back from the kernel) and refuse bad values."""
from __future__ import annotations

import os

import pytest

from framework.monitor import EXIT_CONFIG, image_path, run_monitor
from framework.netns import ping_guest

CORES = sorted(os.sched_getaffinity(0))


@pytest.mark.parametrize("arg", ["--cpu-vcpu=-1", "--cpu-io=x", "--io-nice=20", "--io-nice=-21", "--cpu-vcpu=",
                                 f"--cpu-vcpu={max(CORES) + 1}"])
def test_bad_placement_is_refused_with_one_line(arg):
    proc = run_monitor("--io=event", arg, str(image_path("echo")), timeout=30)
    assert proc.returncode == EXIT_CONFIG, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tb-monitor: {arg}"), proc.stderr


@pytest.mark.kvm
@pytest.mark.parametrize("io", ["event", "hybrid", "poll"])
def test_threads_run_where_they_are_told(kvm, tap_ns, guest_app, io):
    vcpu, other = CORES[-1], CORES[0]
    mon = guest_app("ping-serve", io=io, flags=(f"--cpu-vcpu={vcpu}", f"--cpu-io={other}", "--io-nice=-3"),
                    stats=True)
    ping = ping_guest(tap_ns, 10)
    mon.stop()
    assert "10 packets transmitted, 10 received" in ping.stdout, ping.stdout + ping.stderr
    cpus = mon.stats()["cpus"]
    assert (cpus["vcpu"], cpus["io"], cpus["io_nice"]) == (vcpu, other, -3), cpus
    # What the kernel says after pinning, not what we asked for.
    assert (cpus["vcpu_mask"], cpus["io_mask"]) == (str(vcpu), str(other)), cpus


@pytest.mark.kvm
def test_unpinned_io_thread_does_not_inherit_the_vcpu_core(kvm, tap_ns, guest_app):
    mon = guest_app("ping-serve", io="event", flags=(f"--cpu-vcpu={CORES[-1]}",), stats=True)
    ping_guest(tap_ns, 3)
    mon.stop()
    cpus = mon.stats()["cpus"]
    assert cpus["vcpu_mask"] == str(CORES[-1])
    assert cpus["io_mask"] == (f"{CORES[0]}-{CORES[-1]}" if len(CORES) > 1 else str(CORES[0])), cpus
