"""cli.commands.links: `testbed impair LAB LINK [--loss 5% --delay 10ms ...] [--clear]` changes an impaired link at
run time; `testbed links LAB` shows every link's state, impairment and counters."""
from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PIPED_WIDTH = 180
# Flag -> Impairment field, in the order the help lists them.
FIELDS = {"loss": "e.g. 5%%", "delay": "e.g. 10ms", "jitter": "e.g. 2ms", "distribution": "uniform or normal",
          "rate": "e.g. 100mbit", "limit": "packets the link holds", "reorder": "e.g. 1%%",
          "duplicate": "e.g. 0.5%%", "corrupt": "e.g. 0.1%%"}  # argparse %-formats help
COUNTERS = ("sent", "dropped", "delayed", "duplicated", "reordered", "corrupted")  # `dropped`: lost, down or full


def register(sub) -> None:
    parser = sub.add_parser("impair", help="change an impaired link of a running lab (loss, delay, ...)")
    parser.add_argument("lab", metavar="LAB", help="run id (see `testbed status`)")
    parser.add_argument("link", metavar="LINK", help="NODE:IF of either end, NODE:IF--NODE:IF, or the link's index")
    for name, example in FIELDS.items():
        parser.add_argument(f"--{name}", metavar="VALUE", help=example)
    parser.add_argument("--gilbert-elliott", metavar="P,R[,BAD[,GOOD]]",
                        help="bursty loss: transition chances and the loss in each state, e.g. 1%%,10%%")
    parser.add_argument("--direction", choices=("both", "forward", "reverse"), default="both",
                        help="forward: first endpoint to second (default both)")
    parser.add_argument("--clear", action="store_true", help="start from a plain wire (then apply any values given)")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--down", action="store_true", help="take the link down: every packet dropped")
    state.add_argument("--up", action="store_true", help="bring the link up again")
    parser.set_defaults(func=run_impair)

    parser = sub.add_parser("links", help="a running lab's links: state, impairment, counters")
    parser.add_argument("lab", metavar="LAB", help="run id (see `testbed status`)")
    parser.add_argument("--json", action="store_true", help="one JSON document")
    parser.set_defaults(func=run_links)


def _impairment(args):
    """The flags as an Impairment (checked as the topology's `impair:` is), or a one-line problem."""
    from pydantic import ValidationError

    from testbed.topology.schema.impair import Impairment

    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    if args.gilbert_elliott:
        keys = ("p", "r", "bad_loss", "good_loss")
        given["gilbert_elliott"] = dict(zip(keys, args.gilbert_elliott.split(","), strict=False))
    try:
        return Impairment.model_validate(given), None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return None, f"--{where.replace('_', '-')}: {error['msg'].removeprefix('Value error, ')}"


def run_impair(args) -> int:
    from testbed.errors import LabError
    from testbed.lab import Lab
    from testbed.run import links

    impairment, problem = _impairment(args)
    if problem:
        print(f"testbed impair: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        lab = Lab.attach(args.lab)
        relay = links.find(lab, args.link)
        if impairment.model_fields_set or args.clear:
            links.change(lab, relay, impairment, args.direction, clear=args.clear)
        if args.down or args.up:
            links.set_state(lab, relay, up=args.up)
        directions = {row["link"]: row for row in links.rows(lab)}[relay.name]["directions"]
    except LabError as exc:
        print(f"testbed impair: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for wire, label in (("ab", "forward"), ("ba", "reverse")):
        print(f"{relay.name} {label}: {links.describe(directions[wire]['config'])}")
    return EXIT_OK


def run_links(args) -> int:
    from testbed.errors import LabError
    from testbed.lab import Lab
    from testbed.run import links

    try:
        rows = links.rows(Lab.attach(args.lab))
    except LabError as exc:
        print(f"testbed links: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(rows, indent=1))
        return EXIT_OK
    _print_table(args.lab, rows, links.describe)
    return EXIT_OK


def _print_table(run_id: str, rows: list[dict], describe) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"links of run {run_id}")
    for column in ("link", "direction", "state", "impairment", *COUNTERS, "queued"):
        table.add_column(column, justify="right" if column in COUNTERS or column == "queued" else "left")
    for row in rows:
        if row["mechanism"] == "shm":  # shared rings: frames each way and frames waiting, nothing impaired
            for wire, label in (("ab", "forward"), ("ba", "reverse")):
                direction = row["directions"][wire]
                table.add_row(row["link"] if wire == "ab" else "", label, row["state"], "none (shm)",
                              _or_dash(direction["frames"]), *["-"] * (len(COUNTERS) - 1),
                              _or_dash(direction["pending"]))
            continue
        if row["mechanism"] not in ("wire", "monitor"):
            _plain_rows(table, row)
            continue
        for wire, label in (("ab", "forward"), ("ba", "reverse")):
            direction = row["directions"][wire]
            config, counters = direction["config"], direction["counters"]
            table.add_row(row["link"] if wire == "ab" else "", label, "down" if config["down"] else "up",
                          describe({**config, "down": False}), *(str(_counter(counters, c)) for c in COUNTERS),
                          str(direction["queued"]))
    # Piped (a file, a test): wide enough for a row per direction; a terminal keeps its own width.
    Console(highlight=False, width=None if sys.stdout.isatty() else PIPED_WIDTH).print(table)


def _plain_rows(table, row: dict) -> None:
    """A plain link: the kernel's counters at its first kernel end (sent: its tx; the reverse: its rx)."""
    kernel = row.get("kernel")
    if kernel is None:
        table.add_row(row["link"], "both", "-", f"none ({row['mechanism']})", *["-"] * (len(COUNTERS) + 1))
        return
    blank = ["-"] * (len(COUNTERS) - 2)
    table.add_row(row["link"], f"from {kernel['end']}", kernel["state"], f"none ({row['mechanism']})",
                  str(kernel["tx_packets"]), str(kernel["tx_dropped"]), *blank, "-")
    table.add_row("", f"to {kernel['end']}", kernel["state"], "", str(kernel["rx_packets"]),
                  str(kernel["rx_dropped"]), *blank, "-")


def _counter(counters: dict, name: str) -> int:
    if name == "dropped":
        return counters["dropped"] + counters["down_drops"] + counters["queue_drops"]
    return counters[name]


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)
