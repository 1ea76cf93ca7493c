"""The generated docs (docs/topology.md, docs/cli.md) match the code, and the topology reference's examples are valid."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from testbed.docs_reference import REGENERATE, generated, stale
from testbed.docs_reference.examples import MODEL_EXAMPLES
from testbed.topology import schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_generated_docs_are_up_to_date():
    paths = [str(path.relative_to(DOCS.parent)) for path in stale()]
    assert not paths, f"{', '.join(paths)} stale: regenerate with `{REGENERATE}` and commit the result"


@pytest.mark.parametrize("name", sorted(MODEL_EXAMPLES))
def test_each_example_is_valid_for_its_model(name):
    getattr(schema, name).model_validate(yaml.safe_load(MODEL_EXAMPLES[name]))


def test_every_model_has_an_example():
    document = generated()[DOCS / "topology.md"]
    models = re.findall(r"^## (\w+)$", document, re.MULTILINE)
    missing = [name for name in models if name not in MODEL_EXAMPLES]
    assert not missing, f"add an example for {', '.join(missing)} to testbed/docs_reference/examples.py"


def test_every_field_of_every_model_is_documented():
    document = generated()[DOCS / "topology.md"]
    for model in (schema.Topology, schema.UnikernelNode, schema.Link, schema.Traffic):
        for name, info in model.model_fields.items():
            assert f"| `{info.alias or name}` |" in document, f"{model.__name__}.{name} is missing"


def test_every_subcommand_has_a_section_and_notes():
    from testbed.cli import build_parser
    from testbed.docs_reference.cli import _subparsers
    from testbed.docs_reference.cli_notes import COMMAND_NOTES

    commands = _subparsers(build_parser())
    document = generated()[DOCS / "cli.md"]
    assert commands and all(f"## testbed {name}\n" in document for name in commands)
    missing = sorted(set(commands) - set(COMMAND_NOTES))
    assert not missing, f"describe {', '.join(missing)} in testbed/docs_reference/cli_notes.py"


def test_the_docs_link_only_inside_the_repository():
    for path in [*DOCS.glob("*.md"), DOCS.parent / "README.md"]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "/work/" not in text, f"{path.name} names a path outside the repository"
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if re.match(r"https?://", target):
                continue
            assert (path.parent / target).resolve().is_relative_to(DOCS.parent), f"{path.name} links {target}"
            assert (path.parent / target).exists(), f"{path.name} links {target}, which does not exist"


def _code_map_folders() -> list[str]:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## 7. Code map", 1)[1]
    return re.findall(r"^\| `([^`]+)/` \|", section, re.MULTILINE)


def test_the_code_map_lists_folders_that_exist():
    root = DOCS.parent
    gone = [folder for folder in _code_map_folders()
            if not (root / folder).is_dir() and folder != "testbed/_bin"]  # _bin: build output, not in git
    assert not gone, f"docs/architecture.md's code map lists {', '.join(gone)}, which no longer exist: update it"


def test_the_code_map_lists_every_python_package():
    root = DOCS.parent
    packages = sorted(str(init.parent.relative_to(root)) for init in (root / "testbed").rglob("__init__.py"))
    listed = set(_code_map_folders())
    missing = [package for package in packages if package not in listed]
    assert not missing, f"add {', '.join(missing)} to the code map in docs/architecture.md"


def test_testbed_schema_markdown_prints_the_topology_reference(capsys):
    from testbed.cli import main

    assert main(["schema", "--markdown"]) == 0
    assert capsys.readouterr().out == generated()[DOCS / "topology.md"]
