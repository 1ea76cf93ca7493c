"""cli.commands.images: `testbed images` lists built-in guest images as NAME<TAB>PATH."""
from __future__ import annotations

import sys

from testbed import paths


def register(sub) -> None:
    parser = sub.add_parser("images", help="list built-in guest images (NAME<TAB>PATH)")
    parser.set_defaults(func=run)


def run(args) -> int:
    try:
        images = paths.images()
    except paths.MissingBuildError as exc:
        print(f"testbed: {exc}", file=sys.stderr)
        return 1
    for name, path in images.items():
        print(f"{name}\t{path}")
    return 0
