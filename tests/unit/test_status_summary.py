"""The status summary of a large run: counts by kind and state, the unikernels not running named, a bounded length."""
from __future__ import annotations

import io

from rich.console import Console

from testbed.cli.tables import TROUBLED_SHOWN, print_summary


def _row(name: str, kind: str, state: str) -> dict:
    interface = {"name": "eth0", "address": None, "peer": "hub:e0", "mechanism": "veth", "tap": None}
    return {"node": name, "kind": kind, "namespace": f"ns-{name}", "pid": None, "interfaces": [interface],
            "state": state}


def _render(nodes: list[dict]) -> list[str]:
    out = io.StringIO()
    summary = {"run_id": "r1", "topology": "big", "state_dir": "/run/testbed/r1", "nodes": nodes}
    print_summary(summary, Console(file=out, width=200, highlight=False))
    return out.getvalue().splitlines()


def test_counts_by_kind_and_state_in_a_few_lines():
    nodes = [_row(f"n{i}", "netns", "up") for i in range(1000)]
    nodes += [_row(f"g{i}", "unikernel", "running") for i in range(98)] + [_row("g98", "unikernel", "exited (1)"),
                                                                             _row("g99", "unikernel", "gone")]
    lines = _render(nodes)
    assert "1100 nodes, 550 links" in lines[1]
    assert "netns: 1000 up; unikernel: 98 running, 1 exited (1), 1 gone" in lines[1]
    assert "  g98: exited (1)" in lines and "  g99: gone" in lines
    assert len(lines) == 5 and "--nodes" in lines[-1]


def test_many_unikernels_down_are_cut_short():
    nodes = [_row(f"g{i}", "unikernel", "exited (2)") for i in range(50)]
    lines = _render(nodes)
    assert sum(line.startswith("  g") for line in lines) == TROUBLED_SHOWN
    assert f"… and {50 - TROUBLED_SHOWN} more not running" in lines[-2]
