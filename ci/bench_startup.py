"""bench_startup: wall time of `testbed --help`, `validate`, `run pingpair` (split into phases) and an install re-run."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_stats import summarise

REPO = Path(__file__).resolve().parent.parent
PINGPAIR = REPO / "topologies" / "pingpair.yaml"
GOALS_S = {"help": 0.12, "run": 0.5, "install": 5.0}


def testbed_argv() -> list[str]:
    """The console script a user runs (the venv's), else the module through this interpreter."""
    script = Path(sys.executable).parent / "testbed"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "testbed.cli"]


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    return time.perf_counter() - start


def run_phases(testbed: list[str], report: Path) -> dict[str, float]:
    """One `testbed run pingpair`: its wall time and where it went, from the run's own --json timings."""
    wall = timed([*testbed, "run", str(PINGPAIR), "--json", str(report)])
    timings = json.loads(report.read_text())["timings_s"]
    phases = {f"up: {name}": seconds for name, seconds in timings["up_phases"].items()}
    phases["up: lab module imports, run state"] = timings["up"] - sum(timings["up_phases"].values())
    phases.update({"traffic and checks": timings["checks"], "teardown": timings["down"]})
    # Interpreter start, the CLI's imports before the lab, printing the tables, exit.
    phases["start-up, imports, output"] = wall - timings["total"]
    return {"wall": wall, **phases}


def run(args, progress) -> dict:
    testbed = testbed_argv()
    samples: dict[str, list[float]] = {"help": [], "validate": [], "run": []}
    phases: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="tbbench-") as tmp:
        timed([*testbed, "run", str(PINGPAIR)])  # warm-up: page cache, .pyc files
        for i in range(args.rounds):
            progress(f"startup round {i + 1}/{args.rounds}")
            samples["help"].append(timed([*testbed, "--help"]))
            samples["validate"].append(timed([*testbed, "validate", str(PINGPAIR)]))
            one = run_phases(testbed, Path(tmp) / "run.json")
            samples["run"].append(one.pop("wall"))
            for name, seconds in one.items():
                phases.setdefault(name, []).append(seconds)
    if args.install_rounds:
        samples["install"] = [timed(["bash", str(REPO / "ci" / "install.sh")]) for _ in range(args.install_rounds)]
    if shutil.which("mn"):
        samples["mininet two hosts + ping"] = [timed(["mn", "--test", "pingall"]) for _ in range(args.rounds)]
    summary = {name: summarise(values) for name, values in samples.items()}
    return {"bench": "startup", "command": testbed, "rounds": args.rounds, "goals_s": GOALS_S,
            "summary": summary, "run_phases": {name: summarise(values) for name, values in phases.items()},
            "mininet": "measured" if shutil.which("mn") else "not installed (apt-get install mininet to compare)",
            "samples": samples}
