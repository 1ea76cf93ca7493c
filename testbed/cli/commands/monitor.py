"""cli.commands.monitor: `testbed monitor [MONITOR ARGS] [--] GUEST [ARGS]` execs the KVM monitor."""
from __future__ import annotations

import os
import sys

from testbed import paths


def register(sub) -> None:
    parser = sub.add_parser(
        "monitor",
        help="run a unikernel on the testbed KVM monitor",
        description="Exec the KVM monitor. GUEST is an ELF path or a built-in image name "
        "(`testbed images`). See `testbed monitor --help` for the monitor's own options.",
        add_help=False,
    )
    parser.set_defaults(func=lambda args: exec_monitor(sys.argv[2:]))


def exec_monitor(argv: list[str]) -> int:
    try:
        monitor = paths.monitor_path()
    except paths.MissingBuildError as exc:
        print(f"testbed: {exc}", file=sys.stderr)
        return 125
    os.execv(monitor, [str(monitor), *_with_builtin_image(argv)])
    return 125  # not reached


def _with_builtin_image(argv: list[str]) -> list[str]:
    """Replace the GUEST argument by its path when it names a built-in image."""
    argv = list(argv)
    index = _guest_index(argv)
    if index is not None:
        builtin = paths.images().get(argv[index])
        if builtin is not None and not os.path.exists(argv[index]):
            argv[index] = str(builtin)
    return argv


def _guest_index(argv: list[str]) -> int | None:
    for index, arg in enumerate(argv):
        if arg == "--":
            return index + 1 if index + 1 < len(argv) else None
        if not arg.startswith("-"):
            return index
    return None
