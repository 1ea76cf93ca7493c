"""test_shmstream_flags: the --shm-* monitor flags: a bad value is refused before the guest runs, --help shows the defaults, and non-default values reach the rings."""
from __future__ import annotations

import pytest

from framework.monitor import EXIT_CONFIG, image_path, run_monitor
from framework.netns import ping_guest

# (flag, a value it must refuse): out of range at each end, not a power of two, not a plain decimal number.
BAD_VALUES = [
    ("--shm-slots", "3"),
    ("--shm-slots", "1"),
    ("--shm-slots", "8192"),
    ("--shm-slots", "0x20"),
    ("--shm-guest-spin-us", "1000001"),
    ("--shm-guest-spin-us", "-1"),
    ("--shm-io-idle-us", "fast"),
    ("--shm-io-idle-us", ""),
    ("--shm-budget", "0"),
    ("--shm-budget", "4097"),
]


# The flags are parsed before the monitor opens /dev/kvm, so these need no KVM.
@pytest.mark.parametrize("flag, value", BAD_VALUES)
def test_bad_value_is_refused_with_one_line_naming_the_flag(flag, value):
    proc = run_monitor("--io=hybrid", f"{flag}={value}", str(image_path("echo")), timeout=30)
    assert proc.returncode == EXIT_CONFIG, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tb-monitor: {flag}={value}: "), proc.stderr


def test_help_lists_every_flag_with_its_default():
    proc = run_monitor("--help", timeout=30)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    for flag, default in [("--shm-slots", 512), ("--shm-guest-spin-us", 50), ("--shm-io-idle-us", 50),
                          ("--shm-budget", 64)]:
        found = [line for line in lines if line.strip().startswith(f"{flag}=N")]
        assert len(found) == 1 and f"default {default})" in found[0], lines


@pytest.mark.kvm
def test_hybrid_with_non_default_flags_answers_pings(kvm, tap_ns, guest_app):
    flags = ("--shm-slots=32", "--shm-guest-spin-us=10", "--shm-io-idle-us=200", "--shm-budget=8")
    mon = guest_app("ping-serve", io="hybrid", flags=flags, stats=True)
    ping = ping_guest(tap_ns, 20)
    status = mon.stop()
    assert "20 packets transmitted, 20 received" in ping.stdout, ping.stdout + ping.stderr
    assert status == 128 + 15
    shm = mon.stats()["shmstream"]
    assert (shm["mode"], shm["slots"], shm["guest_spin_us"], shm["io_idle_us"], shm["budget"]) == \
        ("hybrid", 32, 10, 200, 8), shm
    assert shm["nics"]["net0"]["attached"] is True
