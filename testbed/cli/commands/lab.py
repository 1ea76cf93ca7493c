"""cli.commands.lab: `testbed up/status/exec/console/down/run`: a lab's life cycle from the command line."""
from __future__ import annotations

import json
import sys
import time

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
TABLE_UP_TO_NODES = 20  # above this, `status` and `up` print a summary unless --nodes asks for every node


def register(sub) -> None:
    up = sub.add_parser("up", help="bring a topology up and leave it running")
    up.add_argument("file")
    up.add_argument("--json", action="store_true", help="print the run as JSON instead of a table")
    up.add_argument("--prefix", help="run-id prefix (e.g. a CI worker name)")
    _add_nodes(up)
    _add_set(up)
    up.set_defaults(func=cmd_up)

    status = sub.add_parser("status", help="show running labs")
    status.add_argument("run", nargs="?", help="one run id (default: every run)")
    status.add_argument("--json", action="store_true", help="every run and node as JSON (whatever the size)")
    _add_nodes(status)
    status.set_defaults(func=cmd_status)

    exec_ = sub.add_parser("exec", help="run a command inside a node's namespace")
    exec_.add_argument("node")
    exec_.add_argument("argv", nargs="+", metavar="-- CMD")
    exec_.add_argument("--run", help="run id (default: the only run)")
    exec_.set_defaults(func=cmd_exec)

    console = sub.add_parser("console", help="print a unikernel's console")
    console.add_argument("node")
    console.add_argument("-f", "--follow", action="store_true", help="keep printing until the monitor exits")
    console.add_argument("--run", help="run id (default: the only run)")
    console.set_defaults(func=cmd_console)

    down = sub.add_parser("down", help="tear a lab down (exactly what its run recorded)")
    down.add_argument("run", nargs="?", help="run id (default: the only run)")
    down.add_argument("--all", action="store_true", help="every run, including runs whose orchestrator died")
    down.add_argument("--orphans", action="store_true", help="only runs whose orchestrator died")
    down.set_defaults(func=cmd_down)

    run = sub.add_parser("run", help="up, run the topology's checks, down; exit 0 if all passed, 1 if not")
    run.add_argument("file")
    run.add_argument("--json", metavar="PATH", help="write results, measured values and monitor stats here")
    run.add_argument("--prefix", help="run-id prefix")
    _add_set(run)
    run.set_defaults(func=cmd_run)


def _add_nodes(parser) -> None:
    parser.add_argument("--nodes", action="store_true", help=f"a table of every node (the default up to "
                        f"{TABLE_UP_TO_NODES} nodes; above, a summary: counts by kind and state, unikernels not running)")


def _add_set(parser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a field, e.g. nodes.guest.io=event or checks.0.ping.count=20 (YAML value)")
    parser.add_argument("--ready-timeout", type=float, default=None, metavar="SECONDS",
                        help="how long each unikernel may take to print its `ready:` line (default 20)")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _print_run(summary: dict, details: bool) -> None:
    from testbed.cli.tables import print_nodes, print_summary

    if details or len(summary["nodes"]) <= TABLE_UP_TO_NODES:
        print_nodes(summary, _console())
    else:
        print_summary(summary, _console())


def _fail(message: str, status: int = EXIT_FAILED) -> int:
    print(f"testbed: {message}", file=sys.stderr)
    return status


def _up(args):
    """Lab.up with bad input mapped to (None, exit 2) and lab failures to (None, exit 1)."""
    from testbed.errors import LabError, TopologyError
    from testbed.lab import Lab
    from testbed.paths import MissingBuildError
    from testbed.topology.overrides import parse_assignment

    try:
        overrides = dict(parse_assignment(pair) for pair in args.set)
        options = {"ready_timeout": args.ready_timeout} if args.ready_timeout else {}
        return Lab.up(args.file, overrides=overrides or None, name_prefix=args.prefix, **options), EXIT_OK
    except TopologyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None, EXIT_INVALID
    except (LabError, MissingBuildError) as exc:
        args.up_error = str(exc)
        return None, _fail(str(exc))


def cmd_up(args) -> int:
    from testbed.cli.tables import run_summary

    lab, status = _up(args)
    if lab is None:
        return status
    try:
        lab.detach()
    except BaseException as exc:
        lab.down()
        from testbed.errors import LabError

        if isinstance(exc, LabError):  # e.g. a lab over hosts, which cannot outlive this process
            return _fail(str(exc))
        raise
    summary = run_summary(lab.run.read(), lab.run.read_plan(), str(lab.state_dir))
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        _print_run(summary, details=args.nodes)
        print(f"down with: testbed down {lab.run_id}")
    return EXIT_OK


def cmd_status(args) -> int:
    from testbed.cli.tables import run_summary
    from testbed.down import state
    from testbed.down.teardown import owner_alive

    ids = [args.run] if args.run else state.run_ids()
    summaries = []
    for run_id in ids:
        run = state.RunDir.for_run(run_id)
        try:
            summary = run_summary(run.read(), run.read_plan(), str(run.path))
        except FileNotFoundError:
            if args.run:
                return _fail(f"no run {run_id!r}")
            continue
        summary["owner_alive"] = owner_alive(run)
        summaries.append(summary)
    if args.json:
        print(json.dumps(summaries, indent=1))
        return EXIT_OK
    if not summaries:
        print("no runs")
    for summary in summaries:
        _print_run(summary, details=args.nodes)
        if not summary["owner_alive"]:
            print(f"  (orphaned: its owner died; `testbed down {summary['run_id']}` or `testbed down --orphans`)")
    return EXIT_OK


def _attach(run_id: str | None):
    from testbed.down import state
    from testbed.lab import Lab

    if run_id is None:
        ids = state.run_ids()
        if len(ids) != 1:
            raise LookupError(f"{len(ids)} runs are up ({', '.join(ids) or 'none'}): name one")
        run_id = ids[0]
    return Lab.attach(run_id)


def cmd_exec(args) -> int:
    """Becomes the command (exec) inside the node's namespace: its exit status and signals are the command's own."""
    from testbed.apply import nsenter
    from testbed.errors import LabError

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    try:
        namespace = _attach(args.run).plan.node(args.node).namespace
    except (LookupError, LabError, KeyError) as exc:
        return _fail(str(exc).strip('"'))
    sys.stdout.flush()
    try:
        nsenter.exec_in(namespace, argv)
    except FileNotFoundError:
        return _fail(f"{argv[0]}: command not found", 127)
    except PermissionError:
        return _fail(f"{argv[0]}: permission denied", 126)
    return EXIT_FAILED  # not reached: exec replaced this process


def cmd_console(args) -> int:
    from testbed.errors import LabError

    try:
        lab = _attach(args.run)
        lab.console(args.node)
    except (LookupError, LabError, KeyError) as exc:
        return _fail(str(exc).strip('"'))
    path = lab.run.console_path(args.node)
    offset = _print_from(path, 0)
    while args.follow and _monitor_running(lab, args.node):
        time.sleep(0.1)
        offset = _print_from(path, offset)
    _print_from(path, offset)
    return EXIT_OK


def _print_from(path, offset: int) -> int:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return offset
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return offset + len(data)


def _monitor_running(lab, node: str) -> bool:
    record = lab.processes().get(node)
    return bool(record) and record.get("exit") is None and lab.run.exists()


def cmd_down(args) -> int:
    from testbed.down import state, teardown

    if args.all or args.orphans:
        runs = teardown.orphaned_runs() if args.orphans else [state.RunDir.for_run(i) for i in state.run_ids()]
    elif args.run is None and not state.run_ids():
        print("no runs")
        return EXIT_OK
    else:
        try:
            runs = [_attach(args.run).run]
        except LookupError as exc:
            return _fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - a named run that is gone or unreadable
            return _fail(str(exc))
    problems = []
    for run in runs:
        problems += teardown.destroy(run)
        print(f"down: {run.run_id}")
    if args.all or args.orphans:
        for name in teardown.remove_abandoned_dirs():
            print(f"down: {name} (a run directory its process left half made or half removed)")
    for problem in problems:
        print(f"testbed: {problem}", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def cmd_run(args) -> int:
    from testbed.lab.signals import interrupt_on_signals

    with interrupt_on_signals():  # SIGTERM during the checks still takes the lab down
        return _run(args)


def _console_dropped(figures: dict) -> str:
    """A note for the node's summary line when the monitor's console limits cut the guest's output, else ''."""
    dropped = (figures.get("console") or {}).get("dropped_bytes")
    return f", console: {dropped} bytes dropped" if dropped else ""


def _run(args) -> int:
    from testbed.cli.tables import print_checks
    from testbed.run.traffic.table import print_traffic

    started = time.monotonic()
    lab, status = _up(args)
    if lab is None:
        if args.json and status == EXIT_FAILED:
            with open(args.json, "w") as f:
                json.dump({"source": args.file, "passed": False, "error": getattr(args, "up_error", ""),
                           "checks": [], "stats": {}}, f, indent=1)
        return status
    up_seconds = time.monotonic() - started
    try:
        results = lab.run_checks()
    finally:
        checked = time.monotonic()
        lab.down()
    finished = time.monotonic()
    stats = {m.node: lab.stats(m.node) for m in lab.plan.monitors}
    passed = all(result.passed for result in results)
    print_traffic(lab.traffic or {}, _console())
    print_checks(results, _console())
    for node, figures in stats.items():
        if figures:
            print(f"{node}: {figures.get('stop_reason') or 'exit ' + str(figures.get('exit_status'))}, "
                  f"vm exits {figures.get('vm_exits')}, emulated instructions {figures.get('insn_emulation')}, "
                  f"wall {figures.get('wall_seconds')} s{_console_dropped(figures)}")
    if args.json:
        report = {"run_id": lab.run_id, "topology": lab.plan.topology, "source": args.file, "passed": passed,
                  "checks": [result.model_dump() for result in results], "stats": stats, "traffic": lab.traffic or {},
                  "timings_s": {"up": round(up_seconds, 4), "up_phases": lab.timings.phases,
                                "checks": round(checked - started - up_seconds, 4),
                                "down": round(finished - checked, 4), "total": round(finished - started, 4)}}
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return EXIT_OK if passed else EXIT_FAILED
