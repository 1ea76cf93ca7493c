"""docs_reference: generates docs/topology.md and docs/cli.md from the schema and the CLI, and finds them stale."""
from __future__ import annotations

from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "python3 -m testbed.docs_reference"


def generated() -> dict[Path, str]:
    """Every generated doc by path, as it should read now."""
    from testbed.docs_reference.cli import cli_markdown
    from testbed.docs_reference.topology import topology_markdown

    return {DOCS_DIR / "topology.md": topology_markdown(), DOCS_DIR / "cli.md": cli_markdown()}


def stale() -> list[Path]:
    """The generated docs whose committed text differs from what the code generates."""
    return [path for path, text in generated().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]
