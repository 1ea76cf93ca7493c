"""cli.commands.schema: `testbed schema` prints the topology format as JSON Schema, for editors."""
from __future__ import annotations

import json


def register(sub) -> None:
    parser = sub.add_parser("schema", help="print the topology format as JSON Schema (for editors)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from testbed.topology.schema import json_schema  # pydantic's models cost ~0.15 s: only for this verb

    print(json.dumps(json_schema(), indent=2))
    return 0
