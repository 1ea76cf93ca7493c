"""test_lab_console: a unikernel node that floods its console fills its console log only up to the monitor's
limits; the log marks where output was dropped and the node's stats count it."""
from __future__ import annotations

import signal
import time
from pathlib import Path

from testbed import paths
from testbed.lab import Lab

MIB = 1 << 20


def flood_topology(tmp_path: Path, console: str = "") -> Path:
    path = tmp_path / "flood.yaml"
    path.write_text(f"""name: floodlab
nodes:
  flood: {{kind: unikernel, image: {paths.test_image('console-flood')}, args: [forever], ready: xxxxxxxx{console}}}
""")
    return path


def test_a_flooding_node_is_capped_marked_and_counted(kvm, tmp_path, run_prefix):
    with Lab.up(flood_topology(tmp_path), name_prefix=run_prefix) as lab:
        time.sleep(1.5)  # the guest writes as fast as it can all along
        console = lab.console("flood")
    stats = lab.stats("flood")
    assert stats["exit_status"] == 128 + signal.SIGTERM
    counts = stats["console"]
    assert (counts["max_bytes"], counts["rate_bytes"]) == (16 * MIB, MIB)  # the defaults
    assert counts["dropped_bytes"] > counts["bytes"] and counts["truncations"] >= 1
    assert counts["bytes"] <= MIB * (1 + stats["wall_seconds"])
    assert "[tb-monitor: console over 1048576 bytes/s: output dropped until it slows down]" in console
    assert len(console) < 2 * MIB * (1 + stats["wall_seconds"])


def test_the_topology_sets_a_node_s_console_limits(kvm, tmp_path, run_prefix):
    with Lab.up(flood_topology(tmp_path, ", console: {max_bytes: 100000, rate: 0}"), name_prefix=run_prefix) as lab:
        time.sleep(0.5)
        console = lab.console("flood")
    counts = lab.stats("flood")["console"]
    assert (counts["max_bytes"], counts["rate_bytes"]) == (100000, 0)
    assert counts["bytes"] == 100000 and counts["dropped_bytes"] > 0 and counts["truncations"] == 1
    assert console.endswith("[tb-monitor: console limit of 100000 bytes reached: the rest of the guest's output is "
                            "dropped]\n")
