"""bench_stats: summaries of repeated samples (median, min, max, spread) for the benchmarks."""
from __future__ import annotations

from testbed.experiment.stats import summarise  # shared with `testbed experiment`


def summarise_samples(samples: list[dict]) -> dict:
    """Per metric over a variant's samples: every numeric key any sample carries."""
    keys = sorted({k for s in samples for k, v in s.items() if isinstance(v, (int, float))
                   and not isinstance(v, bool)})
    return {k: summarise([s.get(k) for s in samples]) for k in keys}


def ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None
