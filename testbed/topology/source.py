"""topology.source: a topology's YAML text as plain data, with the line and column of every key and value."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml import YAMLError
from yaml.error import MarkedYAMLError
from yaml.reader import ReaderError

from testbed.errors import Problem, TopologyError
from testbed.topology.text_file import read_text
from testbed.topology.yaml_tree import DataPath, Marks, compose, to_data

# Extra words for the YAML mistakes people make most, keyed by a fragment of PyYAML's message.
YAML_HINTS = {
    "'\\t'": "indent with spaces, not tabs",
    "mapping values are not allowed here": "quote values that contain ': ', or add a space after a key's colon",
    "expected <block end>": "check the indentation: the keys of one mapping start in the same column",
}

__all__ = ["DataPath", "YamlSource", "parse_value"]


@dataclass(frozen=True)
class YamlSource:
    """A parsed file: `data` as plain Python, `marks` where each part of it was written."""

    filename: str
    data: Any
    marks: Marks

    @classmethod
    def read(cls, path: str | Path) -> "YamlSource":
        return cls.parse(read_text(path), str(path))

    @classmethod
    def parse(cls, text: str, filename: str) -> "YamlSource":
        try:
            data, marks = to_data(compose(text))
        except YAMLError as exc:
            raise TopologyError.from_problems([yaml_problem(exc, filename, text)]) from None
        return cls(filename, data, marks)

    def position(self, path: DataPath, at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the deepest part of `path` present in the file.

        The value's position for a scalar (the most precise place to point at), the key's for a
        mapping or sequence (where the block starts), and the key's when `at_key` (a bad name)."""
        depth = len(path)
        while depth > 0 and path[:depth] not in self.marks.values:
            depth -= 1
        found = path[:depth]
        key = self.marks.keys.get(found)
        mark = self.marks.values.get(found)
        if key is not None and (found in self.marks.collections or (at_key and depth == len(path))):
            mark = key
        return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def parse_value(text: str, label: str) -> Any:
    """One YAML value (as for --set), read exactly as values in a topology file are; ValueError if malformed."""
    try:
        return YamlSource.parse(text, label).data
    except TopologyError as exc:
        raise ValueError("; ".join(exc.problems)) from None


def yaml_problem(exc: YAMLError, filename: str, text: str) -> Problem:
    if isinstance(exc, ReaderError):  # an unprintable character: no mark, only an offset
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return Problem(filename, line, col, "", f"YAML: character #x{exc.character:04x} is not allowed ({exc.reason})")
    if not isinstance(exc, MarkedYAMLError):
        return Problem(filename, None, None, "", f"YAML: {exc}")
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "not valid YAML"
    if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    hints = [hint for fragment, hint in YAML_HINTS.items() if fragment in message]
    if hints:
        message += f" ({'; '.join(hints)})"
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return Problem(filename, line, col, "", f"YAML: {message}")
