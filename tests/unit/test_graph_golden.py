"""Golden graphs: `testbed graph` of topologies/pingpair.yaml in each format must equal its file under tests/golden_graphs/.

A change to drawing then shows up as a reviewable diff. To accept a change, regenerate them:
    python tests/unit/test_graph_golden.py --regen
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden_graphs"
TOPOLOGIES = [REPO / "topologies" / "pingpair.yaml"]
SUFFIXES = {"mermaid": "mmd", "dot": "dot", "json": "json"}


def golden_path(topology: Path, fmt: str) -> Path:
    return GOLDEN / f"{topology.stem}.{SUFFIXES[fmt]}"


def drawn(topology: Path, fmt: str) -> str:
    from testbed.graph.model import build
    from testbed.graph.render import render
    from testbed.topology.load import load_topology

    return render(build(load_topology(topology)), fmt)


@pytest.mark.parametrize("fmt", sorted(SUFFIXES))
@pytest.mark.parametrize("topology", TOPOLOGIES, ids=lambda p: p.name)
def test_the_graph_matches_its_golden_file(topology, fmt):
    golden = golden_path(topology, fmt)
    assert golden.is_file(), "regenerate with: python tests/unit/test_graph_golden.py --regen"
    assert drawn(topology, fmt) == golden.read_text(), (
        f"{topology} draws differently from {golden}; if the change is meant, "
        "regenerate with: python tests/unit/test_graph_golden.py --regen and review the diff")


def test_the_cli_prints_the_same_drawing(capsys):
    from testbed.cli import main

    assert main(["graph", str(TOPOLOGIES[0]), "--format", "dot"]) == 0
    assert capsys.readouterr().out == golden_path(TOPOLOGIES[0], "dot").read_text()


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for topology in TOPOLOGIES:
        for fmt in SUFFIXES:
            golden_path(topology, fmt).write_text(drawn(topology, fmt))
            print(f"wrote {golden_path(topology, fmt).relative_to(REPO)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regen"]:
        sys.exit(__doc__)
    sys.path.insert(0, str(REPO))
    regenerate()
