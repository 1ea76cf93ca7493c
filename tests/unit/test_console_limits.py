"""A unikernel node's console: limits reach its monitor as --console-max/--console-rate; unset, the monitor's
defaults apply (no flags); out-of-range values are refused where they are written."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from testbed.plan import planner
from testbed.topology.schema import Topology

FAKE_IMAGE = Path("/images/fake.hvt")
GUEST = {"name": "lab", "nodes": {"guest": {"kind": "unikernel", "image": "ping-serve"}}}


def monitor_argv(console: dict | None) -> list[str]:
    data = copy.deepcopy(GUEST)
    if console is not None:
        data["nodes"]["guest"]["console"] = console
    plan = planner.make_plan(Topology.model_validate(data), "r1", resolve_image=lambda image: FAKE_IMAGE)
    (monitor,) = plan.monitors
    return monitor.argv("tb-monitor", "/stats.json")


def console_flags(argv: list[str]) -> list[str]:
    return [arg for arg in argv if arg.startswith("--console-")]


def test_unset_limits_leave_the_monitor_defaults():
    assert console_flags(monitor_argv(None)) == []
    assert console_flags(monitor_argv({})) == []


def test_limits_become_monitor_flags_before_the_guest():
    argv = monitor_argv({"max_bytes": 0, "rate": 65536})
    assert console_flags(argv) == ["--console-max=0", "--console-rate=65536"]
    assert argv.index("--console-rate=65536") < argv.index("--")
    assert console_flags(monitor_argv({"rate": 1024})) == ["--console-rate=1024"]


@pytest.mark.parametrize("console", [{"max_bytes": -1}, {"rate": (1 << 30) + 1}, {"rate": "fast"}, {"lines": 5}])
def test_out_of_range_limits_are_refused(console):
    data = copy.deepcopy(GUEST)
    data["nodes"]["guest"]["console"] = console
    with pytest.raises(ValidationError):
        Topology.model_validate(data)


def test_validate_points_at_a_bad_limit(tmp_path):
    topology = tmp_path / "lab.yaml"
    topology.write_text("name: lab\nnodes:\n  guest: {kind: unikernel, image: ping-serve, console: {rate: -5}}\n")
    done = subprocess.run([sys.executable, "-m", "testbed.cli", "validate", str(topology)], capture_output=True,
                          text=True, check=False, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"{topology}:3:63: nodes.guest.console.rate: Input should be greater than or equal to 0, got -5\n"
