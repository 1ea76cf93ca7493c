"""graph.render: a Graph as Mermaid (Markdown, GitHub), Graphviz DOT or JSON; deterministic text, one trailing newline."""
from __future__ import annotations

import json
from dataclasses import asdict

from testbed.graph.formats import FORMATS
from testbed.graph.model import End, Graph, GraphLink, GraphNode, flat_settings

__all__ = ["FORMATS", "render"]
MERMAID_SHAPES = {"netns": ('["', '"]'), "unikernel": ('[["', '"]]'), "bridge": ('{{"', '"}}')}
DOT_SHAPES = {"netns": "box", "unikernel": "component", "bridge": "hexagon"}


def render(graph: Graph, fmt: str) -> str:
    return {"mermaid": mermaid, "dot": dot, "json": as_json}[fmt](graph)


def node_lines(node: GraphNode) -> list[str]:
    return [node.name, " ".join([node.kind, *(f"{k} {v}" for k, v in node.details.items())])]


def end_text(end: End) -> str:
    return f"{end.ifname} {end.address}" if end.address else end.ifname


def link_lines(link: GraphLink) -> list[str]:
    """The link's label: its ends, what carries it, then one line per setting group (rate, impair, ...)."""
    lines = [f"{end_text(link.ends[0])} ⇄ {end_text(link.ends[1])}", link.mechanism]
    groups: dict[str, list[str]] = {}
    for key, value in flat_settings(link.settings):
        head, _, rest = key.partition(".")
        groups.setdefault(head, []).append(f"{rest} {value}" if rest else value)
    lines += [f"{head}: {', '.join(values)}" for head, values in groups.items()]
    return lines


def _mermaid_text(lines: list[str]) -> str:
    return "<br/>".join(line.replace('"', "#quot;") for line in lines)


def mermaid(graph: Graph) -> str:
    out = [f"%% {graph.name}: drawn by `testbed graph`", "graph LR"]
    for node in graph.nodes:
        opening, closing = MERMAID_SHAPES.get(node.kind, ('["', '"]'))
        out.append(f"  {_mermaid_id(node.name)}{opening}{_mermaid_text(node_lines(node))}{closing}")
    for link in graph.links:
        a, b = (_mermaid_id(end.node) for end in link.ends)
        out.append(f'  {a} ---|"{_mermaid_text(link_lines(link))}"| {b}')
    return "\n".join(out) + "\n"


def _mermaid_id(name: str) -> str:
    return f"n_{name.replace('-', '_')}"  # ids: letters, digits, _; the prefix keeps keywords (end, graph) out


def _dot_text(lines: list[str]) -> str:
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def dot(graph: Graph) -> str:
    out = [f'graph "{_dot_text([graph.name])}" {{', "  rankdir=LR;", '  node [fontname="Helvetica"];',
           '  edge [fontname="Helvetica", fontsize=10];']
    for node in graph.nodes:
        shape = DOT_SHAPES.get(node.kind, "box")
        out.append(f'  "{node.name}" [shape={shape}, label="{_dot_text(node_lines(node))}"];')
    for link in graph.links:
        a, b = link.ends
        out.append(f'  "{a.node}" -- "{b.node}" [label="{_dot_text(link_lines(link)[1:])}", '
                   f'taillabel="{_dot_text([end_text(a)])}", headlabel="{_dot_text([end_text(b)])}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def as_json(graph: Graph) -> str:
    return json.dumps(asdict(graph), indent=1, ensure_ascii=False) + "\n"
