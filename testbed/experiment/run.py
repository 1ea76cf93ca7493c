"""experiment.run: runs a sweep: rounds over every variant (warm-up rounds first, discarded), a fresh lab each."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from testbed.errors import TopologyError
from testbed.experiment import results as r
from testbed.experiment.environment import environment, topology_hash
from testbed.experiment.variants import Variant, expand
from testbed.lab import Lab, load_topology


@dataclass(frozen=True)
class Step:
    """What the progress display shows: which variant, which round, warm-up or not."""

    variant: str
    round: int  # 0-based over warm-up and measured rounds
    rounds: int
    warmup: bool


Progress = Callable[[Step], None]


def plan(path: str | Path, overrides: dict | None = None, repeat: int | None = None, warmup: int | None = None,
         supported_io: tuple[str, ...] | None = None):
    """(topology, sweep, variants, skipped), every variant loaded once so bad overrides fail before any lab."""
    topology = load_topology(path, overrides)
    if topology.sweep is None:
        raise TopologyError([f"{path}: no `sweep:` section: `testbed experiment` needs one (see README)"])
    updates = {k: v for k, v in (("repeat", repeat), ("warmup", warmup)) if v is not None}
    sweep = topology.sweep.model_copy(update=updates)
    if sweep.baseline is None and sweep.baselines:
        sweep = sweep.model_copy(update={"baseline": next(iter(sweep.baselines))})
    variants, skipped = expand(sweep, supported_io)
    for variant in variants:
        load_topology(path, {**(overrides or {}), **variant.overrides})
    return topology, sweep, variants, skipped


def run(path: str | Path, overrides: dict | None = None, repeat: int | None = None, warmup: int | None = None,
        name_prefix: str | None = None, progress: Progress | None = None,
        supported_io: tuple[str, ...] | None = None) -> dict:
    topology, sweep, variants, skipped = plan(path, overrides, repeat, warmup, supported_io)
    started, wall = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), time.monotonic()
    samples: dict[str, list[dict]] = {v.name: [] for v in variants}
    rounds = sweep.warmup + sweep.repeat
    # Rounds interleave the variants, so slow drift of a shared machine hits them all alike.
    for round_ in range(rounds):
        for variant in variants:
            step = Step(variant.name, round_, rounds, round_ < sweep.warmup)
            if progress:
                progress(step)
            samples[variant.name].append(_sample(path, overrides, variant, step, name_prefix))
    out = [{"name": v.name, "baseline": v.baseline, "overrides": v.overrides, "samples": samples[v.name]}
           for v in variants]
    r.add_ratios(out, sweep.primary or next(iter(sweep.metrics), None), sweep.baseline)
    for variant in out:
        variant["summary"] = r.summarise_variant(variant["samples"])
    return {"format": r.FORMAT, "topology": topology.name, "source": str(Path(path).absolute()),
            "overrides": overrides or {}, "topology_hash": topology_hash(path, overrides),
            "sweep": sweep.model_dump(mode="json"), "environment": environment(), "started": started,
            "wall_seconds": round(time.monotonic() - wall, 3), "skipped": skipped, "variants": out}


def _sample(path, overrides, variant: Variant, step: Step, name_prefix: str | None) -> dict:
    """One fresh lab: up, traffic, down. A failure is recorded in the sample, and the sweep goes on."""
    sample = {"round": step.round, "warmup": step.warmup, "metrics": {}, "traffic": {}, "error": None}
    began = time.monotonic()
    try:
        with Lab.up(path, overrides={**(overrides or {}), **variant.overrides}, name_prefix=name_prefix) as lab:
            traffic = lab.run_traffic()
        sample["traffic"], sample["metrics"] = traffic, r.flatten(traffic)
    except (RuntimeError, OSError, KeyError, ValueError) as exc:  # LabError, TrafficError, a tool that failed
        sample["error"] = f"{type(exc).__name__}: {exc}"
    sample["wall_s"] = round(time.monotonic() - began, 3)
    return sample
