"""validation.source: reads a topology YAML file, keeping the line and column of every key and value."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from testbed.errors import Problem, TopologyError

# Extra words for the YAML mistakes people make most, keyed by a fragment of ruamel's message.
YAML_HINTS = {
    "'\\t'": "indent with spaces, not tabs",
    "duplicate key": "each name may appear once in a mapping",
    "mapping values are not allowed here": "quote values that contain ': ', or add a space after a key's colon",
    "expected <block end>": "check the indentation: the keys of one mapping start in the same column",
}

DataPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSource:
    """A parsed file: `tree` is ruamel's round-trip tree (with positions), `data` the same as plain Python."""

    filename: str
    tree: Any
    data: Any

    @classmethod
    def read(cls, path: str | Path) -> "YamlSource":
        filename = str(path)
        try:
            text = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise TopologyError.from_problems([Problem(filename, None, None, "", f"cannot read: {exc}")]) from None
        return cls.parse(text, filename)

    @classmethod
    def parse(cls, text: str, filename: str) -> "YamlSource":
        try:
            tree = YAML(typ="rt").load(text)
        except MarkedYAMLError as exc:
            raise TopologyError.from_problems([_yaml_problem(exc, filename)]) from None
        return cls(filename, tree, to_plain(tree))

    def position(self, path: DataPath, at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the deepest node of `path` present in the file.

        The value's position for a scalar (the most precise place to point at), the key's for a
        mapping or sequence (where the block starts), and the key's when `at_key` (a bad name)."""
        node, line, col = self.tree, 0, 0
        if isinstance(node, (CommentedMap, CommentedSeq)):
            line, col = node.lc.line, node.lc.col
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(node, CommentedMap) and part in node:
                value, written_in = node[part], _map_writing(node, part)
                scalar = not isinstance(value, (CommentedMap, CommentedSeq))
                if written_in is not None:
                    lc = written_in.lc
                    line, col = lc.value(part) if scalar and not (last and at_key) else lc.key(part)
                node = value
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.item(part)
                node = node[part]
            else:
                break
        return line + 1, col + 1


def _map_writing(node: CommentedMap, key: Any) -> CommentedMap | None:
    """The mapping where `key` is written: this one, or one merged into it with `<<: *anchor`."""
    if key in node.lc.data:
        return node
    for merged in getattr(node, "merge", ()):
        source = merged[1] if isinstance(merged, tuple) else merged  # ruamel < 0.19 keeps (index, map) pairs
        found = _map_writing(source, key) if isinstance(source, CommentedMap) else None
        if found is not None:
            return found
    return None


def to_plain(node: Any) -> Any:
    """ruamel's tree as plain dicts, lists and scalars, so models never hold ruamel's subclasses."""
    if isinstance(node, dict):
        return {to_plain(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(item) for item in node]
    for plain in (bool, int, float, str):
        if isinstance(node, plain):
            return plain(node)
    return node


def _yaml_problem(exc: MarkedYAMLError, filename: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "not valid YAML"
    if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    hints = [hint for fragment, hint in YAML_HINTS.items() if fragment in message]
    if hints:
        message += f" ({'; '.join(hints)})"
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return Problem(filename, line, col, "", f"YAML: {message}")
