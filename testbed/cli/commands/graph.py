"""cli.commands.graph: `testbed graph TOPOLOGY --format mermaid|dot|json` draws a topology (creates nothing)."""
from __future__ import annotations

import sys

EXIT_INVALID = 2


def register(sub) -> None:
    from testbed.graph.formats import FORMATS  # a constant only: `testbed --help` imports no planner

    parser = sub.add_parser("graph", help="draw a topology: nodes, links and their mechanisms, addresses, impairments")
    parser.add_argument("file", metavar="TOPOLOGY", help="topology YAML")
    parser.add_argument("--format", choices=FORMATS, default="mermaid", help="output format (default mermaid)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="PATH=VALUE",
                        help="override a field first, e.g. --set links.0.mtu=9000 (repeatable)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write there instead of standard output")
    parser.set_defaults(func=run)


def run(args) -> int:
    from testbed.errors import TopologyError
    from testbed.graph.model import build
    from testbed.graph.render import render
    from testbed.topology.load import load_topology
    from testbed.topology.overrides import parse_assignment

    try:
        overrides = dict(parse_assignment(text) for text in args.assignments)
        graph = build(load_topology(args.file, overrides))
    except TopologyError as exc:
        for problem in exc.problems:
            print(problem if problem.startswith(args.file) else f"{args.file}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    text = render(graph, args.format)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
