"""experiment.results: the results file: per variant its raw samples and per-metric summaries; read back checked."""
from __future__ import annotations

import json
from pathlib import Path

from testbed.experiment.stats import summarise

FORMAT = "testbed-experiment/1"
DEFAULT_METRIC_SUFFIXES = (".pps", ".exits_per_packet", ".cpu_us_per_packet", ".cpu_pct")


class ResultsError(ValueError):
    """Not a results file this version can read."""


# Numbers that describe the run rather than measure it: kept in the raw traffic, not summarised or compared.
NOT_METRICS = {"started_s", "exit_status", "guest_exit_status"}


def flatten(traffic: dict[str, dict]) -> dict[str, float]:
    """{"sink": {"pps": 5}} -> {"sink.pps": 5}: measured numbers only (lists and labels stay in the raw traffic)."""
    return {f"{name}.{key}": value for name, figures in traffic.items() for key, value in figures.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in NOT_METRICS}


def ratio_key(primary: str, baseline: str) -> str:
    return f"{primary}.vs_{baseline}"


def add_ratios(variants: list[dict], primary: str | None, baseline: str | None) -> None:
    """The primary metric over the baseline's in the same round: pairs share the machine's mood of the moment."""
    base = next((v for v in variants if v["name"] == baseline), None)
    if not primary or base is None:
        return
    by_round = {s["round"]: s["metrics"].get(primary) for s in base["samples"] if not s.get("error")}
    key = ratio_key(primary, baseline)
    for variant in variants:
        for sample in variant["samples"]:
            value, reference = sample["metrics"].get(primary), by_round.get(sample["round"])
            if value is not None and reference:
                sample["metrics"][key] = value / reference


def summarise_variant(samples: list[dict]) -> dict[str, dict]:
    """Per metric over the measured samples: warm-up rounds and failed samples left out."""
    kept = [s["metrics"] for s in samples if not s.get("warmup") and not s.get("error")]
    keys = sorted({key for metrics in kept for key in metrics})
    return {key: summary for key in keys if (summary := summarise(m.get(key) for m in kept)) is not None}


def table_metrics(results: dict) -> list[str]:
    """The sweep's chosen metrics, else every rate and per-packet cost; the ratio to the baseline after the primary."""
    sweep = results.get("sweep") or {}
    present = {key for v in results["variants"] for key in v["summary"]}
    chosen = [m for m in sweep.get("metrics") or [] if m in present] or \
        sorted(m for m in present if m.endswith(DEFAULT_METRIC_SUFFIXES))
    primary, baseline = primary_metric(results), sweep.get("baseline")
    if primary and baseline and ratio_key(primary, baseline) in present:
        position = chosen.index(primary) + 1 if primary in chosen else len(chosen)
        chosen.insert(position, ratio_key(primary, baseline))
    return chosen


def primary_metric(results: dict) -> str | None:
    sweep = results.get("sweep") or {}
    return sweep.get("primary") or next(iter(sweep.get("metrics") or []), None)


def write(results: dict, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")


def read(path: str | Path) -> dict:
    try:
        results = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ResultsError(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ResultsError(f"{path}: not JSON ({exc})") from None
    if not isinstance(results, dict) or results.get("format") != FORMAT:
        raise ResultsError(f"{path}: not a testbed experiment results file (format {FORMAT!r})")
    for variant in results.get("variants", []):
        if not {"name", "samples", "summary"} <= set(variant):
            raise ResultsError(f"{path}: variant {variant.get('name')!r} lacks name, samples or summary")
    return results
