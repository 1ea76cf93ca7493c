"""ring_slots: a unikernel's shmstream ring size reaches the monitor as --shm-slots; bad sizes are refused at load."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from testbed.plan import planner
from testbed.topology.schema import Topology


def _topology(**guest) -> dict:
    node = {"kind": "unikernel", "image": "udp-sink", "io": "event", **guest}
    return {"name": "t", "nodes": {"h": {"kind": "netns"}, "g": node}, "links": [{"endpoints": ["h:e0", "g:service0"]}]}


def test_ring_slots_become_the_monitor_flag():
    plan = planner.make_plan(Topology.model_validate(_topology(ring_slots=4096, memory=64)), "rs",
                             resolve_image=lambda name: Path("/img.hvt"))
    assert "--shm-slots=4096" in plan.monitor("g").argv("/bin/tb-monitor", "/s.json")


def test_no_ring_slots_no_flag():
    plan = planner.make_plan(Topology.model_validate(_topology()), "rs", resolve_image=lambda name: Path("/img.hvt"))
    assert not any(a.startswith("--shm-slots") for a in plan.monitor("g").argv("/bin/tb-monitor", "/s.json"))


@pytest.mark.parametrize("guest, message", [({"ring_slots": 3000}, "power of two"), ({"ring_slots": 8192}, "power of two"),
                                            ({"ring_slots": 4096, "memory": 16}, "at least 18 MiB")])
def test_bad_ring_slots_are_refused(guest, message):
    with pytest.raises(ValidationError, match=message):
        Topology.model_validate(_topology(**guest))
