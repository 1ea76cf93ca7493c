"""Loader against files: each bad_topologies/ file gives its one expected FILE:LINE:COL problem; topologies/ load."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_loader_fake_images import solo5_image  # a sibling module: tests/unit is on sys.path
from testbed import paths
from testbed.errors import TopologyError
from testbed.topology.load import load_topology

HERE = Path(__file__).parent
CORPUS = sorted((HERE / "bad_topologies").glob("*.yaml"))
EXAMPLES = sorted((HERE.parent.parent / "topologies").glob("*.yaml"))
HEADER_RE = re.compile(r"^# where: ?(?P<where>.*)\n# says: (?P<says>.+)$", re.MULTILINE)
FAKE_BUILTINS = {**{name: ["service0"] for name in ("ping-serve", "udp-sink", "udp-source")},
                 "forward": ["net0", "net1"], "forward4": ["net0", "net1", "net2", "net3"]}


@pytest.fixture(autouse=True)
def builtin_images(monkeypatch, tmp_path):
    """Built-in images as stand-ins declaring what the real ones do, so results don't depend on a build."""
    fakes = {name: solo5_image(tmp_path / f"{name}.hvt", nics) for name, nics in FAKE_BUILTINS.items()}

    def resolve(image: str) -> Path | None:
        return fakes.get(image) or (Path(image) if Path(image).is_file() else None)

    monkeypatch.setattr(paths, "resolve_image", resolve)


def expectation(path: Path) -> tuple[str, str]:
    """The problem's start (FILE:LINE:COL: field: ) and a fragment of its message, from the file's header."""
    match = HEADER_RE.search(path.read_text())
    assert match, f"{path.name}: starts with '# where: LINE:COL: field' and '# says: fragment'"
    where = match["where"].strip()
    return (f"{path}:{where}: " if where else f"{path}: "), match["says"]


def test_the_corpus_is_there():
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_topology_reports_its_one_mistake_where_it_is(path):
    start, says = expectation(path)
    with pytest.raises(TopologyError) as caught:
        load_topology(path)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(problems)
    assert problems[0].startswith(start), problems[0]
    assert says in problems[0]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_topologies_load(path):
    topology = load_topology(path)
    assert topology.nodes and topology.links and topology.checks


def test_the_examples_are_there():
    assert {p.name for p in EXAMPLES} >= {"pingpair.yaml", "netns-pair.yaml", "bridge3.yaml"}
