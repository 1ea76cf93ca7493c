"""soak_worker: one soak worker: CYCLES up/ping/down cycles, a fraction of them in a child process hit by a fault.

python3 ci/soak_worker.py STATE_ROOT PREFIX TOPOLOGY CYCLES FAULT_RATE SEED  -> one JSON line of counts.
Faults: kill -9 or Ctrl-C (SIGINT) of the orchestrator, either at a random moment of up or at a chosen stage of
the lab's life -- paused after namespaces, links or monitors (TESTBED_PAUSE_AFTER), while running (after up), or
during down -- and kill -9 of a monitor as soon as it is recorded (up must fail and roll back by itself).
A kill -9 of the orchestrator leaves an orphan for `down --all`; after a Ctrl-C the orchestrator must have rolled
back or torn down by itself: a run directory it leaves is counted as "sigint-left-behind" (goal 0).
"A random moment" is uniform over a child's measured up time.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from testbed.lab import Lab

STATE_ROOT, PREFIX, TOPOLOGY = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
CYCLES, FAULT_RATE, SEED = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
os.environ["TESTBED_STATE_DIR"] = str(STATE_ROOT)  # read by testbed at each use

FAULTS = ("kill9-orchestrator", "kill9-at-stage", "kill9-monitor", "sigint-orchestrator", "sigint-at-stage")
UP_STAGES = ("namespaces", "links", "monitors")  # where TESTBED_PAUSE_AFTER holds `up`
STAGES = (*UP_STAGES, "running", "down")  # then: the lab up (the child's "up" line), teardown (its "down" line)
DOWN_WINDOW = 0.2  # a fault aimed at teardown lands this long after it started, at most
CHILD = str(Path(__file__).with_name("soak_child.py"))


def clean_cycle(counts: Counter, up_times: list[float]) -> None:
    started = time.monotonic()
    try:
        lab = Lab.up(TOPOLOGY, name_prefix=PREFIX)
    except Exception as exc:  # noqa: BLE001 (any failure of a clean cycle is counted and the soak goes on)
        counts["errors"] += 1
        print(f"soak: clean up failed: {exc}", file=sys.stderr)
        return
    up_times.append(time.monotonic() - started)
    try:
        source, target = lab.plan.nodes[0].name, lab.plan.nodes[-1].name
        result = lab.ping(source, target, count=1)
        if result.received < 1:  # ping -w sends until a reply comes: a slow first one (ARP) means two sent
            counts["errors"] += 1
            console = lab.console(target) if lab.plan.nodes[-1].kind == "unikernel" else ""
            print(f"soak: {lab.run_id}: ping {source} -> {target} failed: {result.summary()} "
                  f"(exit {result.exit_status}); console:\n{console}", file=sys.stderr)
    finally:
        problems = lab.down()
    if problems:
        counts["errors"] += 1
        print(f"soak: {lab.run_id}: down left {problems}", file=sys.stderr)
    counts["clean"] += 1


def start_child(env: dict | None = None) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, CHILD, str(STATE_ROOT), PREFIX, TOPOLOGY], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    child.stdout.readline()  # "start": imports done
    return child


def child_up_seconds() -> float:
    """How long up takes in a fresh process (slower than in a warm one): the window a random fault aims at."""
    child = start_child()
    started = time.monotonic()
    child.stdout.readline()  # "up"
    seconds = time.monotonic() - started
    child.wait(timeout=60)
    return seconds


def fault_cycle(fault: str, rng: random.Random, counts: Counter, child_up: float) -> None:
    before = set(os.listdir(STATE_ROOT)) if STATE_ROOT.is_dir() else set()
    stage = rng.choice(STAGES)
    at_stage = fault.endswith("-at-stage")
    child = start_child({"TESTBED_PAUSE_AFTER": stage} if at_stage and stage in UP_STAGES else None)
    deadline = time.monotonic() + rng.uniform(0, child_up)
    kill = signal.SIGKILL if fault.startswith("kill9") else signal.SIGINT
    if at_stage:
        _wait_for_stage(child, stage, rng)
        child.send_signal(kill)
        counts[f"{fault.split('-')[0]}-after-{stage}"] += 1
    elif fault == "kill9-monitor":
        target = _wait_for_monitor(STATE_ROOT, before, child, time.monotonic() + 10)
        if target is not None:
            os.kill(target, signal.SIGKILL)
    else:
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.002)
        child.send_signal(kill)
    status = child.wait(timeout=60)
    last_words = child.stderr.read().strip().splitlines()[-3:]
    counts[fault] += 1
    if status == 0:
        counts["faults-too-late"] += 1  # the lab was up (and down again) before the fault landed
    if kill == signal.SIGINT or fault == "kill9-monitor":
        _check_rolled_back(fault, stage if at_stage else "random", before, counts, last_words)


def _wait_for_stage(child: subprocess.Popen, stage: str, rng: random.Random) -> None:
    """Returns once the child reached `stage`: paused in up (its stderr says so), up (stdout "up") or tearing down."""
    if stage in UP_STAGES:
        for line in child.stderr:
            if "paused after" in line:
                return
        return
    wanted = "up" if stage == "running" else "down"
    for line in child.stdout:
        if line.strip() == wanted:
            break
    if stage == "down":
        time.sleep(rng.uniform(0, DOWN_WINDOW))


def _check_rolled_back(fault: str, stage: str, before: set[str], counts: Counter, last_words: list[str]) -> None:
    """An orchestrator that got Ctrl-C, or whose monitor was killed, cleans up by itself: no run directory stays."""
    left = sorted(set(os.listdir(STATE_ROOT)) - before) if STATE_ROOT.is_dir() else []
    if left:
        counts["sigint-left-behind" if fault.startswith("sigint") else "monitor-kill-left-behind"] += 1
        print(f"soak: {fault} ({stage}) left {left} for down --all; the orchestrator's last words: {last_words}",
              file=sys.stderr)


def _wait_for_monitor(root: Path, before: set[str], child: subprocess.Popen, deadline: float) -> int | None:
    """The monitor's pid as soon as the supervisor records it (so the kill lands before the guest is ready)."""
    while time.monotonic() < deadline and child.poll() is None:
        for name in set(os.listdir(root)) - before if root.is_dir() else ():
            try:
                processes = json.loads((root / name / "state.json").read_text())["processes"]
            except (OSError, ValueError, KeyError):
                continue
            for record in processes.values():
                return record["pid"]
        time.sleep(0.001)
    return None


def main() -> None:
    rng = random.Random(SEED)
    counts: Counter = Counter()
    up_times: list[float] = []
    child_up = child_up_seconds() if FAULT_RATE > 0 else 0.0
    counts["clean"] += 1
    for _ in range(CYCLES - 1):
        if rng.random() < FAULT_RATE:
            fault_cycle(rng.choice(FAULTS), rng, counts, child_up)
        else:
            clean_cycle(counts, up_times)
    counts["up-median-ms"] = round(1000 * sorted(up_times)[len(up_times) // 2]) if up_times else 0
    counts["child-up-ms"] = round(1000 * child_up)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
