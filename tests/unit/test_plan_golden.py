"""Golden plans: every example and test topology's Plan, as JSON, must equal its file under tests/golden_plans/.

A change to planning then shows up as a reviewable diff of those files. To accept a change, regenerate them:
    python tests/unit/test_plan_golden.py --regen
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden_plans"
TOPOLOGIES = sorted([*(REPO / "topologies").glob("*.yaml"), *(REPO / "tests" / "examples" / "topologies").glob("*.yaml")])
RUN_ID = "golden"


def golden_path(topology: Path) -> Path:
    return GOLDEN / f"{topology.relative_to(REPO).with_suffix('').as_posix().replace('/', '__')}.json"


def rendered_plan(topology: Path) -> str:
    """The Plan as stable JSON: a fixed run id, paths relative to the checkout and to the built images."""
    from testbed import paths
    from testbed.plan import planner
    from testbed.topology.load import load_topology

    source = topology.relative_to(REPO).as_posix()
    # Automatic CPU placement depends on the machine's cores: golden plans are those of a two-core machine.
    with mock.patch("testbed.plan.cpus.available_cpus", return_value=[0, 1]), \
            mock.patch("testbed.plan.cpus.machine_busy", return_value=False):
        plan = planner.make_plan(load_topology(topology), RUN_ID, source=source)
    text = json.dumps(plan.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"
    return text.replace(str(paths.bin_dir()), "<bin>").replace(str(REPO), "<repo>")


def test_every_topology_has_a_golden_plan():
    expected = {golden_path(t).name for t in TOPOLOGIES}
    present = {p.name for p in GOLDEN.glob("*.json")}
    assert expected == present, "regenerate with: python tests/unit/test_plan_golden.py --regen"


@pytest.mark.parametrize("topology", TOPOLOGIES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_plan_matches_its_golden_file(topology):
    golden = golden_path(topology)
    assert golden.is_file(), "regenerate with: python tests/unit/test_plan_golden.py --regen"
    assert rendered_plan(topology) == golden.read_text(), (
        f"{topology} plans differently from {golden}; if the change is meant, "
        "regenerate with: python tests/unit/test_plan_golden.py --regen and review the diff")


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for stale in GOLDEN.glob("*.json"):
        stale.unlink()
    for topology in TOPOLOGIES:
        golden_path(topology).write_text(rendered_plan(topology))
        print(f"wrote {golden_path(topology).relative_to(REPO)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regen"]:
        sys.exit(__doc__)
    sys.path.insert(0, str(REPO))
    regenerate()
