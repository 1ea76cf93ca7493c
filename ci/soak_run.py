"""soak_run: the soak's driver: starts the workers, waits, runs `testbed down --all`, reports rate and leaks.

Everything the soak creates carries a fresh token (labs are named soakN-TOKEN-...) and keeps its state under
/run/testbed-soak/TOKEN/wN, so its `down --all` and its audit touch only the soak's own runs.
Exit status: 0 when nothing leaked and no clean cycle failed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import soak_audit
from testbed.pytest_plugin import audit

SOAK_BASE = Path("/run/testbed-soak")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ci/soak", description="up/down cycles with random faults; reports leaks")
    parser.add_argument("--cycles", type=int, default=1000, help="cycles in all (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--fault-rate", type=float, default=0.1, help="fraction of cycles hit by a fault (0.1)")
    parser.add_argument("--topology", default=str(REPO / "topologies" / "pingpair.yaml"))
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    if os.geteuid() != 0:
        print("ci/soak: needs root (namespaces, TAPs) and /dev/kvm", file=sys.stderr)
        return 2
    token, seed = secrets.token_hex(3), args.seed if args.seed is not None else secrets.randbelow(1 << 30)
    soak_root = SOAK_BASE / token
    before = audit.take()
    print(f"soak {token}: {args.cycles} cycles of {Path(args.topology).name} on {args.workers} workers, "
          f"fault rate {args.fault_rate}, seed {seed}", flush=True)
    started = time.monotonic()
    counts, timings = run_workers(args, token, soak_root, seed)
    elapsed = time.monotonic() - started
    orphans = soak_audit.leftovers(token, soak_root, before)
    down_failures = down_all(soak_root)
    leaks = soak_audit.leftovers(token, soak_root, before)
    report = {"token": token, "seed": seed, "cycles": sum(counts[k] for k in ("clean", *FAULT_KINDS)),
              "seconds": round(elapsed, 1), "cycles_per_second": round(counts_total(counts) / elapsed, 2),
              "counts": dict(counts), "timings": timings, "left_for_down_all": {k: len(v) for k, v in orphans.items()},
              "down_all_failures": down_failures, "leaks": leaks,
              "leftovers": sum(len(found) for found in leaks.values())}
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    if not any(leaks[k] for k in ("namespaces", "processes", "state")):
        shutil.rmtree(soak_root, ignore_errors=True)
        try:
            SOAK_BASE.rmdir()  # only when no other soak (or a leaky one, kept for inspection) is there
        except OSError:
            pass
    ours_leaked = any(leaks[k] for k in ("namespaces", "processes", "state")) or \
        any(not line.startswith("root namespace") for line in leaks["links"])
    self_cleaning_failed = any(counts[k] for k in SELF_CLEANING)
    return 1 if ours_leaked or counts["errors"] or down_failures or self_cleaning_failed else 0


FAULT_KINDS = ("kill9-orchestrator", "kill9-at-stage", "kill9-monitor", "sigint-orchestrator", "sigint-at-stage")
STAGES = ("namespaces", "links", "monitors", "running", "down")
SELF_CLEANING = ("sigint-left-behind", "monitor-kill-left-behind")  # faults after which nothing may stay (goal 0)


def counts_total(counts: Counter) -> int:
    return sum(counts[k] for k in ("clean", *FAULT_KINDS))


def run_workers(args, token: str, soak_root: Path, seed: int) -> tuple[Counter, list[dict]]:
    """Each worker's counts, summed, and its up times (median in-process, one measured in a fresh process)."""
    share = [args.cycles // args.workers + (1 if i < args.cycles % args.workers else 0) for i in range(args.workers)]
    workers = []
    for index, cycles in enumerate(share):
        root = soak_root / f"w{index}"
        root.mkdir(parents=True, exist_ok=True)
        workers.append(subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("soak_worker.py")), str(root), f"soak{index}-{token}",
             args.topology, str(cycles), str(args.fault_rate), str(seed + index)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}))
    total: Counter = Counter()
    timings: list[dict] = []
    for worker in workers:
        output, _ = worker.communicate()
        lines = output.strip().splitlines()
        if worker.returncode != 0 or not lines:
            total["errors"] += 1
            print(f"ci/soak: a worker exited with status {worker.returncode}", file=sys.stderr)
            continue
        result = json.loads(lines[-1])
        timings.append({key: result.pop(key, 0) for key in ("up-median-ms", "child-up-ms")})
        total.update(result)
    return total, timings


def down_all(soak_root: Path) -> list[str]:
    """`testbed down --all` per worker state root: what a CI job runs after a crashed test run."""
    failures = []
    for root in sorted(path for path in soak_root.iterdir() if path.is_dir()):
        done = subprocess.run([sys.executable, "-m", "testbed.cli", "down", "--all"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False, env={**os.environ, "TESTBED_STATE_DIR": str(root),
                                                                        "PYTHONPATH": str(REPO)})
        if done.returncode != 0:
            failures.append(f"{root}: status {done.returncode}: {done.stdout.strip()}")
    return failures


def print_report(report: dict) -> None:
    counts = report["counts"]
    print(f"cycles: {report['cycles']} in {report['seconds']} s = {report['cycles_per_second']} cycles/s")
    print("  clean: {}   faults: {}   (of which landed after up finished: {})   errors: {}".format(
        counts.get("clean", 0), ", ".join(f"{k} {counts.get(k, 0)}" for k in FAULT_KINDS),
        counts.get("faults-too-late", 0), counts.get("errors", 0)))
    for signal_name, label in (("kill9", "kill -9"), ("sigint", "Ctrl-C")):
        print(f"  {label} at stage: " + ", ".join(f"{stage} {counts.get(f'{signal_name}-after-{stage}', 0)}"
                                                   for stage in STAGES))
    print("  left behind by a fault that must clean up by itself: " +
          ", ".join(f"{k} {counts.get(k, 0)}" for k in SELF_CLEANING))
    print("  up time per worker (median in-process / one fresh process): " +
          ", ".join(f"{t['up-median-ms']}/{t['child-up-ms']} ms" for t in report["timings"]))
    left = report["left_for_down_all"]
    print(f"  left for down --all (orphans of kill -9): {left['namespaces']} namespaces, {left['state']} runs, "
          f"{left['processes']} processes")
    for failure in report["down_all_failures"]:
        print(f"  down --all FAILED: {failure}")
    leaks = report["leaks"]
    print(f"  leftovers after down --all: {report['leftovers']} (goal 0)")
    if not any(leaks.values()):
        return
    print("  of which:")
    for kind, lines in leaks.items():
        for line in lines:
            print(f"    {kind}: {line}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
