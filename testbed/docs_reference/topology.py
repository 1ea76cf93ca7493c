"""docs_reference.topology: docs/topology.md, every model and field of the topology format, from the JSON Schema."""
from __future__ import annotations

import json

from pydantic import BaseModel

from testbed.docs_reference.examples import MODEL_EXAMPLES
from testbed.topology import schema

INTRO = """\
# Topology reference

<!-- Generated from testbed/topology/schema/ by `{regenerate}`: edit the models' descriptions there, not this file. -->

A topology is a YAML file. `testbed validate FILE` checks one without creating anything and
reports every problem as `FILE:LINE:COL: path.to.field: message`; `testbed schema` prints the
same format as JSON Schema for editors. Every model below forbids unknown keys. Relative
`image:` and `block:` paths are relative to the topology file. `--set PATH=VALUE` (on `run`,
`up`, `validate`, `experiment`) overrides one field, e.g. `--set nodes.guest.io=event`.
Complete topologies: `topologies/*.yaml`.

Models: {index}
"""


def topology_markdown() -> str:
    from testbed.docs_reference import REGENERATE

    document = schema.json_schema()
    definitions = dict(document.get("$defs", {}), Topology=document)
    names = _reachable("Topology", definitions)
    used_in = _used_in(names, definitions)
    index = ", ".join(f"[{name}](#{name.lower()})" for name in names)
    parts = [INTRO.format(regenerate=REGENERATE, index=index)]
    for name in names:
        parts.append(_section(name, definitions[name], used_in.get(name, [])))
    return "\n".join(parts)


def _refs(node) -> list[str]:
    """Model names a schema fragment refers to, in order of appearance."""
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else []
        for key, value in node.items():
            if key != "discriminator":
                found += _refs(value)
        return found
    if isinstance(node, list):
        return [name for item in node for name in _refs(item)]
    return []


def _reachable(root: str, definitions: dict) -> list[str]:
    """Models in breadth-first order from the root, so the document reads from the top of a file down."""
    order, queue = [], [root]
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        queue += [ref for ref in _refs(definitions[name].get("properties", {})) if ref not in order]
    return order


def _used_in(names: list[str], definitions: dict) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for parent in names:
        for field, prop in definitions[parent].get("properties", {}).items():
            for ref in dict.fromkeys(_refs(prop)):
                used.setdefault(ref, []).append(f"[{parent}](#{parent.lower()}).`{field}`")
    return used


def _section(name: str, definition: dict, used_in: list[str]) -> str:
    lines = [f"## {name}", ""]
    if definition.get("description"):
        lines += [_one_line(definition["description"]), ""]
    if used_in:
        lines += ["Used in: " + ", ".join(used_in) + ".", ""]
    lines += ["| field | type | default | description |", "|---|---|---|---|"]
    required = set(definition.get("required", []))
    for field, prop in definition.get("properties", {}).items():
        default = "required" if field in required else _default_text(name, field, prop)
        lines.append(f"| `{field}` | {_cell(_type_text(_without_description(prop)))} | {_cell(default)} | "
                     f"{_cell(_one_line(_description(field, prop)))} |")
    example = MODEL_EXAMPLES.get(name)
    if example:
        lines += ["", "Example:", "", "```yaml", example.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def _description(field: str, prop: dict) -> str:
    if "description" not in prop and "const" in prop:  # a discriminator such as a node's kind
        return f"selects this model: {field}: {prop['const']}"
    return prop.get("description", "")


def _without_description(prop: dict) -> dict:
    """The field's own description has its column; nested ones (e.g. ADDR/PREFIX) name a form in the type."""
    return {key: value for key, value in prop.items() if key != "description"}


def _model(name: str) -> type[BaseModel]:
    return getattr(schema, name)


def _default_text(model_name: str, field: str, prop: dict) -> str:
    if "default" in prop:
        value = prop["default"]
    else:  # a default_factory: pydantic leaves it out of the JSON Schema
        info = next(i for n, i in _model(model_name).model_fields.items() if (i.alias or n) == field)
        value = info.get_default(call_default_factory=True)
    return f"`{json.dumps(value)}`"


def _type_text(prop: dict) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    for union in ("anyOf", "oneOf"):
        if union in prop:
            options = [_type_text(option) for option in prop[union]]
            return " or ".join(dict.fromkeys(options))
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        return _array_text(prop)
    if kind == "object":
        return _object_text(prop)
    if kind is None:
        return "any"
    return _with_bounds(kind, prop)


def _array_text(prop: dict) -> str:
    if "prefixItems" in prop:
        return "[" + ", ".join(_type_text(item) for item in prop["prefixItems"]) + "]"
    return f"list of {_type_text(prop.get('items', {}))}"


def _object_text(prop: dict) -> str:
    for pattern, value in prop.get("patternProperties", {}).items():
        return f"map (keys `{pattern}`) of {_type_text(value)}"
    values = prop.get("additionalProperties")
    if isinstance(values, dict):
        return f"map of {_type_text(values)}"
    return "mapping"


def _with_bounds(kind: str, prop: dict) -> str:
    bounds = []
    if "minimum" in prop and "maximum" in prop:
        bounds.append(f"{prop['minimum']}..{prop['maximum']}")
    else:
        bounds += [f"≥ {prop['minimum']}"] if "minimum" in prop else []
        bounds += [f"≤ {prop['maximum']}"] if "maximum" in prop else []
    bounds += [f"> {prop['exclusiveMinimum']}"] if "exclusiveMinimum" in prop else []
    bounds += [f"< {prop['exclusiveMaximum']}"] if "exclusiveMaximum" in prop else []
    bounds += [f"matching `{prop['pattern']}`"] if "pattern" in prop else []
    if prop.get("description") and kind == "string" and not bounds:
        bounds.append(prop["description"])  # a named string form such as ADDR/PREFIX
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
