"""The libyaml composer against the pure-Python one: the same node graph, marks and errors for every file we have."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from yaml.nodes import Node

from testbed.topology import yaml_tree
from testbed.topology.yaml_tree import MAX_DEPTH, TreeLoader, _compose_with, compose

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(p for folder in ("topologies", "tests", "examples", "ci") if (REPO / folder).is_dir()
               for p in (REPO / folder).rglob("*.yaml"))
SNIPPETS = {
    "non-ascii": "é: x\nab: [é, ü, 'x']\nü:\n  - ëë: 1\n",
    "bom": "\ufeffa: 1\n",
    "block and quoted": "a: 'x\n  y'\nb: |\n  éé\n  z\nc: >-\n  folded\n  text\nd: \"q\\u00e9\"\n",
    "merge": "a: &x {b: 1, c: [2]}\nc: *x\nd: {<<: *x, e: 3}\nf: {<<: [*x, {g: 4}]}\n",
    "tags": "a: !!str 2\nb: !!int '7'\nc: !!float 1\nd: !!null ''\ne: !!bool true\n",
    "core schema": "a: [~, null, '', true, False, 0o17, 0x1f, -12, 1.5e3, .inf, -.Inf, .nan, off, 0755, 10:20]\n",
    "empty": "",
    "comment only": "# nothing here\n",
    "explicit document": "%YAML 1.1\n---\na: 1\n...\n",
    "complex keys": "? a\n: 1\n? [b]\n: 2\n",
    "flow across lines": "a: {b: 1,\n  c: [2,\n    3]}\n",
}
BAD = {
    "mapping value": "a: b: c\n",
    "tab": "a:\n\tb: 1\n",
    "undefined alias": "a: *nope\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "unclosed flow": "a: [1, 2\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\n",
    "control character": "a: b\x01\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
}


def test_libyaml_is_there():
    """The wheels PyYAML ships on Linux include libyaml: without it large labs load several times slower."""
    assert yaml.__with_libyaml__ and yaml_tree.CParser is not None


def _shape(node: Node | None) -> list:
    """Every node in document order: kind, tag, start and end line/column, scalar value; shared nodes by identity."""
    seen: dict[int, int] = {}
    out: list = []

    def walk(n: Node) -> None:
        if id(n) in seen:
            out.append(("alias of", seen[id(n)]))
            return
        seen[id(n)] = len(seen)
        marks = (n.start_mark.line, n.start_mark.column, n.end_mark.line, n.end_mark.column)
        out.append((type(n).__name__, n.tag, marks, n.value if isinstance(n.value, str) else len(n.value)))
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                walk(key)
                walk(value)
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                walk(item)

    if node is not None:
        walk(node)
    return out


def _python_outcome(text: str):
    try:
        return "ok", _shape(_compose_with(TreeLoader, text))
    except yaml.YAMLError as exc:
        return "error", str(exc)


def _outcome(text: str):
    try:
        return "ok", _shape(compose(text))
    except yaml.YAMLError as exc:
        return "error", str(exc)


def _c_outcome(text: str):
    try:
        return "ok", _shape(_compose_with(yaml_tree.FastTreeLoader, text))
    except yaml.YAMLError as exc:
        return "error", type(exc).__name__


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_yaml_file_in_the_repository_composes_alike(path):
    text = path.read_text(errors="replace")
    assert _outcome(text) == _python_outcome(text)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_the_c_composer_gives_the_python_graph_and_marks(name):
    text = SNIPPETS[name]
    python = _python_outcome(text)
    assert python[0] == "ok"
    assert _c_outcome(text) == python  # the C path itself, not the fallback


@pytest.mark.parametrize("name", sorted(BAD))
def test_errors_keep_the_python_wording_and_position(name):
    text = BAD[name]
    python = _python_outcome(text)
    assert python[0] == "error"
    assert _c_outcome(text)[0] == "error"
    assert _outcome(text) == python


@pytest.mark.parametrize("text", ["name: a\udcff\n", "\ud800"])
def test_a_lone_surrogate_is_the_python_reader_error(text):
    """Text that cannot be UTF-8 at all (a --set value from undecodable argv bytes): libyaml never sees it."""
    python = _python_outcome(text)
    assert python[0] == "error" and "not allowed" in python[1]
    assert _outcome(text) == python


@pytest.mark.parametrize("levels", range(MAX_DEPTH - 3, MAX_DEPTH + 3))
@pytest.mark.parametrize("bottom", ["x", "*a", "[]"])
def test_the_depth_limit_is_the_same_at_its_edge(levels, bottom):
    """Nesting just under, at and over the limit, ending in a scalar, an alias (a level in Python) or a list."""
    text = "a: &a 1\nb: " + "[" * levels + bottom + "]" * levels + "\n"
    assert _outcome(text) == _python_outcome(text)


def test_the_c_composer_is_the_one_used_for_a_good_file(monkeypatch):
    """A good file never reaches the Python composer (which would make the speed-up vanish unnoticed)."""
    def refuse(text):
        raise AssertionError("composed in Python")

    monkeypatch.setattr(yaml_tree, "TreeLoader", refuse)
    assert compose(SNIPPETS["merge"]) is not None
