"""topology.yaml_tree: PyYAML composed with YAML 1.2's core schema, bounded depth and size, keeping every value's mark.

Why not yaml.safe_load: it reads YAML 1.1, where `off` is False, `0755` is 493 and 10:20:30 a sexagesimal
number; it keeps the last of two duplicate keys; and an alias bomb or deep nesting exhausts memory or the
stack. Topologies are read with the core schema of YAML 1.2 (as people expect from JSON-like values), and
every limit is a located error.

When PyYAML was built with libyaml, a document is first composed in C (3.1 s -> 0.6 s for a 10,000-node chain:
the pure-Python scanner was most of a large lab's load time). The C composer gives the same node graph
and marks; anything it stops at (a syntax error, nesting near the limit) is composed again in Python, so every
error keeps the pure-Python wording and position.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from yaml import YAMLError
from yaml.composer import Composer, ComposerError
from yaml.error import Mark, MarkedYAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

try:
    from yaml.cyaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python composer alone
    CParser = None

MAX_DEPTH = 64  # a topology nests about 6 levels deep
MAX_VALUES = 500_000  # values after aliases are expanded: a 10,000-node topology has ~100,000

DataPath = tuple[str | int, ...]

TAG = "tag:yaml.org,2002:"
CORE_SCALARS = {
    "null": r"~|null|Null|NULL|",
    "bool": r"true|True|TRUE|false|False|FALSE",
    "int": r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+",
    "float": r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN",
}


# One pattern for all kinds, tried in CORE_SCALARS' order: a scalar is matched once, not once per kind.
CORE_SCALAR = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in CORE_SCALARS.items()))


class CoreSchemaResolver(BaseResolver):
    """Plain scalars resolved by YAML 1.2's core schema, plus `<<` merge keys."""

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode and implicit[0]:
            if value == "<<":
                return TAG + "merge"
            match = CORE_SCALAR.fullmatch(value)
            if match:
                return TAG + match.lastgroup
        return super().resolve(kind, value, implicit)


class BoundedComposer(Composer):
    """PyYAML's composer, refusing nesting deeper than MAX_DEPTH before Python's stack runs out."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class TreeLoader(Reader, Scanner, Parser, BoundedComposer, CoreSchemaResolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        BoundedComposer.__init__(self)
        CoreSchemaResolver.__init__(self)


class _NearDepthLimit(Exception):
    """The C composer reached MAX_DEPTH - 1: the Python composer decides (it counts aliases as levels too)."""


if CParser is not None:
    class FastTreeLoader(CParser, CoreSchemaResolver):
        """libyaml's scanner, parser and composer with the same resolver; depth is bounded through the resolver's
        descend/ascend hooks, which the C composer calls around every node but an alias."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            CoreSchemaResolver.__init__(self)
            self.depth = 0

        def descend_resolver(self, parent, index):
            self.depth += 1
            if self.depth >= MAX_DEPTH:  # an alias one level further down would already pass the limit
                raise _NearDepthLimit
            super().descend_resolver(parent, index)

        def ascend_resolver(self):
            self.depth -= 1
            super().ascend_resolver()


class TreeError(MarkedYAMLError):
    """A document PyYAML reads but a topology may not hold (duplicate keys, odd tags, an alias bomb)."""


def compose(text: str) -> Node | None:
    """The document's node graph (aliases shared, not expanded); None for an empty document."""
    if CParser is not None:
        try:
            return _compose_with(FastTreeLoader, text)
        except (YAMLError, _NearDepthLimit, UnicodeEncodeError):  # the last: a lone surrogate (from argv)
            pass  # the Python composer reports it, worded and located as always
    return _compose_with(TreeLoader, text)


def _compose_with(loader_class, text: str) -> Node | None:
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


@dataclass
class Marks:
    """Where each value of the data was written: its key (in a mapping) and the value itself."""

    keys: dict[DataPath, Mark] = field(default_factory=dict)
    values: dict[DataPath, Mark] = field(default_factory=dict)
    collections: set[DataPath] = field(default_factory=set)


def to_data(root: Node | None) -> tuple[Any, Marks]:
    """Plain dicts, lists and scalars, and their marks; TreeError when aliases expand past MAX_VALUES."""
    marks = Marks()
    if root is None:
        return None, marks
    if _expanded_size(root, {}, set(), 0) > MAX_VALUES:
        raise TreeError(None, None, f"aliases expand to more than {MAX_VALUES:,} values", root.start_mark)
    return _Builder(marks).build(root, ()), marks


def _expanded_size(node: Node, sizes: dict[int, int], open_nodes: set[int], depth: int) -> int:
    """How many values `node` becomes once aliases are expanded, found without expanding them (an alias bomb
    of a few hundred bytes would otherwise build billions); each shared node is counted once and reused."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise TreeError(None, None, "an alias refers to a collection that contains it", node.start_mark)
    if depth > MAX_DEPTH:
        raise TreeError(None, None, f"aliases nest deeper than {MAX_DEPTH} levels", node.start_mark)
    open_nodes.add(id(node))
    children = [] if isinstance(node, ScalarNode) else node.value
    if isinstance(node, MappingNode):
        children = [part for pair in children for part in pair]
    size = 1
    for child in children:
        size += _expanded_size(child, sizes, open_nodes, depth + 1)
        if size > MAX_VALUES:
            break  # already too many: the caller reports it
    open_nodes.discard(id(node))
    sizes[id(node)] = size
    return size


class _Builder:
    """Builds the data of a graph _expanded_size has bounded: no cycles, depth and size within the limits."""

    def __init__(self, marks: Marks) -> None:
        self.marks = marks

    def build(self, node: Node, path: DataPath) -> Any:
        self.marks.values[path] = node.start_mark
        if isinstance(node, ScalarNode):
            return scalar(node)
        self.marks.collections.add(path)
        if isinstance(node, SequenceNode):
            _expect_tag(node, "seq")
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        _expect_tag(node, "map")
        return self.mapping(node, path)

    def mapping(self, node: MappingNode, path: DataPath) -> dict:
        result: dict = {}
        written: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == TAG + "merge":
                continue
            key = _key(key_node)
            if key in written:
                raise TreeError(None, None, f'found duplicate key "{key}" (first at line {written[key].line + 1}; '
                                "each name may appear once in a mapping)", key_node.start_mark)
            written[key] = key_node.start_mark
            self.marks.keys[(*path, key)] = key_node.start_mark
            result[key] = self.build(value_node, (*path, key))
        for merged in _merged_mappings(node):
            for key_node, value_node in merged.value:
                key = _key(key_node)
                if key not in result and key_node.tag != TAG + "merge":
                    self.marks.keys[(*path, key)] = key_node.start_mark
                    result[key] = self.build(value_node, (*path, key))
        return result


def _merged_mappings(node: MappingNode) -> list[MappingNode]:
    """The mappings `<<: *a` or `<<: [*a, *b]` merges into node, earlier ones first (they win)."""
    found = []
    for key_node, value_node in node.value:
        if key_node.tag != TAG + "merge":
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise TreeError(None, None, "`<<` merges mappings only (write `<<: *anchor`)", source.start_mark)
            found.append(source)
    return found


def _key(node: Node) -> Any:
    if not isinstance(node, ScalarNode):
        raise TreeError(None, None, "a mapping key must be a plain value, not a list or mapping", node.start_mark)
    return scalar(node)


def _expect_tag(node: Node, kind: str) -> None:
    if node.tag != TAG + kind:
        raise TreeError(None, None, f"the tag {node.tag} is not allowed in a topology", node.start_mark)


def scalar(node: ScalarNode) -> Any:
    """A scalar's value by its (implicit or explicit) core-schema tag."""
    kind = node.tag.removeprefix(TAG)
    try:
        return _SCALARS[kind](node.value)
    except KeyError:
        raise TreeError(None, None, f"the tag {node.tag} is not allowed in a topology", node.start_mark) from None
    except ValueError:
        raise TreeError(None, None, f"{node.value!r} is not a valid !!{kind}", node.start_mark) from None


def _int(text: str) -> int:
    if text.startswith(("0o", "0x")):
        return int(text, 0)
    return int(text, 10)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.lstrip("+-") == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if lowered == ".nan" else float(text)


def _bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


def _null(text: str) -> None:
    if text not in ("~", "null", "Null", "NULL", ""):
        raise ValueError(text)
    return None


_SCALARS = {"str": str, "int": _int, "float": _float, "bool": _bool, "null": _null}
