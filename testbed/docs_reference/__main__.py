"""`python3 -m testbed.docs_reference [--check]`: rewrite the generated docs, or exit 1 naming the stale ones."""
from __future__ import annotations

import sys

from testbed.docs_reference import REGENERATE, generated, stale


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        paths = stale()
        for path in paths:
            print(f"{path}: stale; regenerate with: {REGENERATE}", file=sys.stderr)
        return 1 if paths else 0
    if argv:
        print(f"usage: {REGENERATE} [--check]", file=sys.stderr)
        return 2
    for path, text in generated().items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
