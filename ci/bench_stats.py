"""bench_stats: summaries of repeated samples (median, min, max, spread) for the benchmarks."""
from __future__ import annotations

import statistics


def summarise(values: list[float]) -> dict | None:
    """Median, min, max and coefficient of variation of the numeric samples; None when there are none."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / mean if len(values) > 1 and mean else 0.0
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "cv": cv, "n": len(values)}


def summarise_samples(samples: list[dict]) -> dict:
    """Per metric over a variant's samples: every numeric key any sample carries."""
    keys = sorted({k for s in samples for k, v in s.items() if isinstance(v, (int, float))
                   and not isinstance(v, bool)})
    return {k: summarise([s.get(k) for s in samples]) for k in keys}


def ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None
