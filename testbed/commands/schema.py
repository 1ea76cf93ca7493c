"""commands.schema: `testbed schema` prints the topology format as JSON Schema, for editors."""
from __future__ import annotations

import json

from testbed.schema import json_schema


def register(sub) -> None:
    parser = sub.add_parser("schema", help="print the topology format as JSON Schema (for editors)")
    parser.set_defaults(func=run)


def run(args) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0
