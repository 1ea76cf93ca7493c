"""test_import_cycles: testbed/ imports without a cycle among its module-level imports.

Only module-level imports count (those inside `if TYPE_CHECKING:` do not): they are what runs while a module is
being imported, where a cycle hands one module the other half-initialised (an ImportError or AttributeError that
depends on which module was imported first). An import inside a function runs later, when both modules are
complete; it is how the CLI defers heavy modules for a fast start, so counting it would flag deliberate,
harmless laziness.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "testbed"
PACKAGE = PACKAGE_DIR.name


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def module_level_imports(tree: ast.Module):
    """Import statements run at import time: top-level ones, also inside top-level if/try/with blocks, except
    under `if TYPE_CHECKING:`; not inside functions or classes' methods."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node.test):
            pending += node.body + node.orelse
        elif isinstance(node, ast.If):
            pending += node.orelse
        elif isinstance(node, (ast.Try, ast.With)):
            pending += node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", [])
            pending += [statement for handler in getattr(node, "handlers", []) for statement in handler.body]
        elif isinstance(node, ast.ClassDef):
            pending += [statement for statement in node.body if not isinstance(statement, ast.FunctionDef)]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, known: set[str]) -> set[str]:
    """The testbed modules an import statement runs: `from a.b import c` runs a.b.c if that is a module, else a.b
    (where the name c lives)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    base = node.module or ""
    if node.level:
        anchor = importer.split(".") if is_package else importer.split(".")[:-1]
        anchor = anchor[:len(anchor) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    found = set()
    for alias in node.names:
        found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found & known


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {target for node in module_level_imports(tree)
                       for target in imported(node, name, is_package, set(known))} - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of two or more modules (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert len(graph) > 20 and f"{PACKAGE}.cli" in graph
    assert f"{PACKAGE}.pytest_plugin.fixtures" in graph[f"{PACKAGE}.pytest_plugin.plugin"]


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_testbed_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "module-level import cycles in testbed/:\n  " + "\n  ".join(" <-> ".join(g) for g in found)
