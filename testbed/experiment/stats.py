"""experiment.stats: summaries of repeated samples (median, min, max, CV) and a permutation test between two sets."""
from __future__ import annotations

import itertools
import math
import random
import statistics

MAX_PERMUTATIONS = 20000


def numbers(values) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]


def summarise(values) -> dict | None:
    """Median, min, max and coefficient of variation (population stdev / mean); None without samples."""
    values = numbers(values)
    if not values:
        return None
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / abs(mean) if len(values) > 1 and mean else 0.0
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "mean": mean,
            "cv": cv, "n": len(values)}


def permutation_p(a, b, rounds: int = MAX_PERMUTATIONS, seed: int = 1) -> float:
    """Two-sided p-value that a and b come from one distribution, by the difference of their means.

    Every relabelling of the pooled samples when there are few enough (exact), else `rounds` random shuffles
    (seeded, so a comparison gives the same answer twice). With 3 + 3 samples the smallest possible p is 0.1:
    the test only says "outside the noise" when the repeats allow it."""
    a, b = numbers(a), numbers(b)
    if not a or not b:
        return 1.0
    pooled, n = a + b, len(a)
    observed = abs(statistics.fmean(b) - statistics.fmean(a))
    total = sum(pooled)
    tolerance = 1e-12 * max(1.0, abs(total))

    def as_extreme(first_sum: float) -> bool:
        diff = abs((total - first_sum) / len(b) - first_sum / n)
        return diff >= observed - tolerance

    if math.comb(len(pooled), n) <= rounds:
        splits = list(itertools.combinations(range(len(pooled)), n))
        hits = sum(as_extreme(sum(pooled[i] for i in split)) for split in splits)
        return hits / len(splits)
    rng = random.Random(seed)
    hits = 0
    for _ in range(rounds):
        rng.shuffle(pooled)
        hits += as_extreme(sum(pooled[:n]))
    return (hits + 1) / (rounds + 1)
