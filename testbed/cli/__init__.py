"""cli: the `testbed` command; each subcommand lives in its own module under testbed.cli.commands."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each module defines register(subparsers); its parser sets func(args) -> exit status.
COMMAND_MODULES = (
    "testbed.cli.commands.lab",
    "testbed.cli.commands.validate",
    "testbed.cli.commands.schema",
    "testbed.cli.commands.monitor",
    "testbed.cli.commands.images",
    "testbed.cli.commands.experiment",
    "testbed.cli.commands.links",
    "testbed.cli.commands.capture",
    "testbed.cli.commands.graph",
    "testbed.cli.commands.agent",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="testbed",
        description="A declarative testbed for unikernel networking: YAML topologies made real "
        "with network namespaces, links and KVM unikernels.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command not built yet
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # `testbed monitor ...` hands everything after it to the monitor untouched.
    if argv[:1] == ["monitor"]:
        from testbed.cli.commands.monitor import exec_monitor

        return exec_monitor(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("testbed: interrupted", file=sys.stderr)
        return 130


def run_and_exit() -> None:
    """The `testbed` command: main(), then exit without the interpreter's teardown.

    Tearing down pydantic's and pyroute2's modules took ~0.1 s of a 0.4 s `testbed run`; nothing of ours waits
    for it (files are closed by their `with` blocks, no atexit hooks), so stdio is flushed and the process ends."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`testbed status | head`): end as a process killed by SIGPIPE
        status = 128 + 13
    try:
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(status)

