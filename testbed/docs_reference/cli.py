"""docs_reference.cli: docs/cli.md, every `testbed` subcommand's help from the argparse parsers, with notes and examples."""
from __future__ import annotations

import argparse
import functools
import subprocess

from testbed.docs_reference.cli_notes import COMMAND_NOTES, EXIT_STATUSES, INTRO

HELP_WIDTH = 100  # fixed, so the generated text does not depend on the terminal that ran the generator


def cli_markdown() -> str:
    from testbed.docs_reference import REGENERATE

    parser = _parser()
    commands = _subparsers(parser)
    parts = [INTRO.format(regenerate=REGENERATE), _block(parser.format_help()), EXIT_STATUSES]
    for name, sub in commands.items():
        parts.append(_section(name, sub))
    return "\n".join(parts)


def _parser() -> argparse.ArgumentParser:
    from testbed.cli import build_parser

    parser = build_parser()
    for each in [parser, *_subparsers(parser).values()]:
        each.formatter_class = functools.partial(argparse.HelpFormatter, width=HELP_WIDTH)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _section(name: str, sub: argparse.ArgumentParser) -> str:
    notes = COMMAND_NOTES.get(name, {})
    lines = [f"## testbed {name}", ""]
    if notes.get("about"):
        lines += [notes["about"].rstrip("\n"), ""]
    help_text = _monitor_help() if name == "monitor" else sub.format_help()
    lines += [f"`testbed {name} --help`:", "", _block(help_text)]
    if notes.get("exit"):
        lines += ["Exit status: " + notes["exit"].rstrip("\n"), ""]
    if notes.get("examples"):
        lines += ["Examples:", "", "```sh", notes["examples"].rstrip("\n"), "```", ""]
    return "\n".join(lines)


def _monitor_help() -> str:
    """`testbed monitor --help` is the monitor's own help: the options are the C program's, not argparse's."""
    from testbed import paths

    done = subprocess.run([str(paths.monitor_path()), "--help"], capture_output=True, text=True, timeout=10,
                          check=True)
    return done.stdout


def _block(text: str) -> str:
    return "```text\n" + text.rstrip("\n") + "\n```\n"
