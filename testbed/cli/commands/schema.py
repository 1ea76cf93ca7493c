"""cli.commands.schema: `testbed schema` prints the topology format as JSON Schema, for editors (or as Markdown)."""
from __future__ import annotations

import json


def register(sub) -> None:
    parser = sub.add_parser("schema", help="print the topology format as JSON Schema (for editors)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the topology reference (docs/topology.md) instead")
    parser.set_defaults(func=run)


def run(args) -> int:
    # pydantic's models cost ~0.15 s: imported only for this verb
    if args.markdown:
        from testbed.docs_reference.topology import topology_markdown

        print(topology_markdown(), end="")
        return 0
    from testbed.topology.schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0
