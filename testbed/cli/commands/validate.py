"""cli.commands.validate: `testbed validate FILE` checks a topology without creating anything (exit 0 ok, 2 invalid)."""
from __future__ import annotations

import sys

EXIT_INVALID = 2


def register(sub) -> None:
    parser = sub.add_parser("validate", help="check a topology file and report every problem (creates nothing)")
    parser.add_argument("file", metavar="FILE", help="topology YAML")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="PATH=VALUE",
                        help="override a field, e.g. --set nodes.guest.io=event (repeatable)")
    parser.set_defaults(func=run)


def run(args) -> int:
    # Imported here, not at the top: `testbed --help` loads every command module and must stay fast.
    from testbed.errors import TopologyError
    from testbed.topology.load import load_topology
    from testbed.topology.overrides import parse_assignment

    try:
        overrides = dict(parse_assignment(text) for text in args.assignments)
        topology = load_topology(args.file, overrides)
    except TopologyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    print(f"{args.file}: ok ({_count(topology.nodes, 'node')}, {_count(topology.links, 'link')})")
    return 0


def _count(items, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
