"""cli.commands.experiment: `testbed experiment FILE` runs a topology's sweep; `testbed report` and `testbed compare`
read the results files it writes."""
from __future__ import annotations

import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def register(sub) -> None:
    experiment = sub.add_parser("experiment", help="run the topology's sweep: variants × repeats, each on a fresh lab")
    experiment.add_argument("file")
    experiment.add_argument("--json", metavar="PATH", help="results file (default results/TOPOLOGY.json)")
    experiment.add_argument("--plots", metavar="DIR", help="also write PNG plots there")
    experiment.add_argument("--repeat", type=_positive_int, help="measured rounds (overrides sweep.repeat)")
    experiment.add_argument("--warmup", type=_natural_int, help="discarded rounds first (overrides sweep.warmup)")
    experiment.add_argument("--prefix", help="run-id prefix for the labs")
    experiment.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                            help="override a field in every variant, e.g. traffic.1.udpgen.seconds=2")
    experiment.set_defaults(func=cmd_experiment)

    report = sub.add_parser("report", help="print a results file's table again, optionally with plots")
    report.add_argument("results")
    report.add_argument("--plots", metavar="DIR", help="write PNG plots there")
    report.set_defaults(func=cmd_report)

    compare = sub.add_parser("compare", help="A vs B: per-metric change and whether it is outside the noise")
    compare.add_argument("a", metavar="A.json")
    compare.add_argument("b", metavar="B.json")
    compare.add_argument("--alpha", type=float, default=0.05, help="permutation test level (default 0.05)")
    compare.add_argument("--threshold", type=float, default=0.05,
                         help="smallest relative change that counts (default 0.05 = 5%%)")
    compare.add_argument("--metric", action="append",
                         help="compare these metrics (default: A's table metrics; 'all' for every metric)")
    compare.add_argument("--all", action="store_true", help="list every metric, not only the changed ones")
    compare.set_defaults(func=cmd_compare)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _natural_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _console():
    from rich.console import Console

    # Piped output (CI logs, files) gets wide tables instead of rich's 80-column default.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def _supported_io() -> tuple[str, ...]:
    from testbed.pytest_plugin.modes import io_modes

    return io_modes()


def cmd_experiment(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from testbed.errors import TopologyError
    from testbed.experiment import results as r
    from testbed.experiment.report import variant_table
    from testbed.experiment.run import plan, run
    from testbed.lab.signals import interrupt_on_signals
    from testbed.topology.overrides import parse_assignment

    try:
        overrides = dict(parse_assignment(text) for text in args.set)
        _, sweep, variants, _ = plan(args.file, overrides, args.repeat, args.warmup, _supported_io())
    except TopologyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    except ValueError as exc:
        print(f"testbed: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if not variants:
        print("testbed: no variant to run (every one was skipped)", file=sys.stderr)
        return EXIT_INVALID
    total = len(variants) * (sweep.repeat + sweep.warmup)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} labs"),
               TimeElapsedColumn())
    with interrupt_on_signals(), Progress(*columns, console=_console_err(), transient=True) as progress:
        task = progress.add_task("starting", total=total)
        started = time.monotonic()

        def show(step) -> None:
            done = step.round * len(variants) + [v.name for v in variants].index(step.variant)
            label = "warm-up" if step.warmup else f"repeat {step.round - sweep.warmup + 1}/{sweep.repeat}"
            progress.update(task, completed=done, description=f"{step.variant} · {label} · "
                            f"{time.monotonic() - started:.0f} s")

        results = run(args.file, overrides, args.repeat, args.warmup, args.prefix, show, _supported_io())
    path = Path(args.json or Path("results") / f"{results['topology']}.json")
    r.write(results, path)
    console = _console()
    console.print(variant_table(results))
    if args.plots:
        _plots(results, args.plots, console)
    console.print(f"results: {path}")
    failed = any(s.get("error") for v in results["variants"] for s in v["samples"])
    return EXIT_FAILED if failed else EXIT_OK


def _console_err():
    from rich.console import Console

    return Console(stderr=True)


def _plots(results: dict, directory: str, console) -> None:
    from testbed.experiment.plots import write_plots

    for path in write_plots(results, directory):
        console.print(f"plot: {path}")


def cmd_report(args) -> int:
    from testbed.experiment.report import variant_table
    from testbed.experiment.results import ResultsError, read

    try:
        results = read(args.results)
    except ResultsError as exc:
        print(f"testbed: {exc}", file=sys.stderr)
        return EXIT_INVALID
    console = _console()
    console.print(variant_table(results))
    if args.plots:
        _plots(results, args.plots, console)
    return EXIT_OK


def cmd_compare(args) -> int:
    from rich.table import Table

    from testbed.experiment.compare import baseline_drift, compare
    from testbed.experiment.report import fmt
    from testbed.experiment.results import ResultsError, read, table_metrics

    try:
        a, b = read(args.a), read(args.b)
    except ResultsError as exc:
        print(f"testbed: {exc}", file=sys.stderr)
        return EXIT_INVALID
    metrics = None if args.metric == ["all"] else args.metric or table_metrics(a)
    changes = compare(a, b, alpha=args.alpha, threshold=args.threshold, metrics=metrics)
    shown = changes if args.all else [c for c in changes if c.significant]
    names_a, names_b = [v["name"] for v in a["variants"]], [v["name"] for v in b["variants"]]
    unmatched = [f"only in A: {n}" for n in names_a if n not in names_b] + \
        [f"only in B: {n}" for n in names_b if n not in names_a]
    unmatched += [f"[yellow]baseline {c.variant} {c.metric} moved {100 * c.change:+.0f}%: the machine changed between "
                  f"A and B; trust the ratios to it (*.vs_{c.variant}) over bare numbers[/yellow]"
                  for c in baseline_drift(a, changes)]
    table = Table(title=f"{args.a} → {args.b} (permutation test, alpha {args.alpha:g}, "
                  f"threshold {100 * args.threshold:g}%)",
                  caption="\n".join([f"{sum(c.significant for c in changes)} of {len(changes)} metrics outside the "
                                      f"noise; {sum(c.worse for c in changes)} worse", *unmatched]))
    for column in ("variant", "metric", "A median", "B median", "change", "p", "verdict"):
        table.add_column(column, justify="left" if column in ("variant", "metric", "verdict") else "right")
    for c in shown:
        verdict = ("[red]worse[/red]" if c.worse else "[green]better[/green]") if c.significant else "noise"
        table.add_row(c.variant, c.metric, fmt(c.a), fmt(c.b), f"{100 * c.change:+.1f}%", f"{c.p:.3f}", verdict)
    _console().print(table)
    return EXIT_FAILED if any(c.worse for c in changes) else EXIT_OK
