"""experiment.compare: A vs B per variant and metric: the change of the median and whether it is outside the noise."""
from __future__ import annotations

from dataclasses import dataclass

from testbed.experiment.stats import numbers, permutation_p, summarise

# A metric's name says which way is better: rates and ratios up, costs down.
HIGHER_IS_BETTER = ("pps", "bits_per_second", "rx_packets", "received", "sent_packets", "tx_packets", "bytes",
                    "window_rx_packets", "frame_bits_per_second", "rx_frames")


@dataclass(frozen=True)
class Change:
    variant: str
    metric: str
    a: float
    b: float
    change: float  # (b - a) / a
    p: float
    significant: bool  # outside the noise: p < alpha and |change| >= threshold
    worse: bool


def baseline_drift(a: dict, changes: list[Change]) -> list[Change]:
    """Significant changes of a baseline variant (e.g. the raw-TAP ceiling, which runs none of our code): when it
    moved, the machine changed between A and B, and only the ratios to it compare code with code."""
    baselines = {v["name"] for v in a["variants"] if v.get("baseline")}
    return [c for c in changes if c.variant in baselines and c.significant and ".vs_" not in c.metric]


def higher_is_better(metric: str) -> bool:
    key = metric.split(".", 1)[-1]
    return ".vs_" in key or key.split(".")[0] in HIGHER_IS_BETTER


def samples_of(variant: dict, metric: str) -> list[float]:
    return numbers(s["metrics"].get(metric) for s in variant["samples"] if not s.get("warmup") and not s.get("error"))


def compare(a: dict, b: dict, alpha: float = 0.05, threshold: float = 0.05,
            metrics: list[str] | None = None) -> list[Change]:
    """Variants matched by name. A change counts when the permutation test says it is unlikely under the
    repeats' own noise (p < alpha) and it is large enough to matter (|change| >= threshold)."""
    changes = []
    b_variants = {v["name"]: v for v in b["variants"]}
    for variant_a in a["variants"]:
        variant_b = b_variants.get(variant_a["name"])
        if variant_b is None:
            continue
        keys = metrics or sorted(set(variant_a["summary"]) & set(variant_b["summary"]))
        for metric in keys:
            xs, ys = samples_of(variant_a, metric), samples_of(variant_b, metric)
            sa, sb = summarise(xs), summarise(ys)
            if not sa or not sb or not sa["median"]:
                continue
            change = (sb["median"] - sa["median"]) / abs(sa["median"])
            p = permutation_p(xs, ys)
            significant = p < alpha and abs(change) >= threshold
            worse = significant and (change < 0) == higher_is_better(metric)
            changes.append(Change(variant_a["name"], metric, sa["median"], sb["median"], change, p, significant,
                                  worse))
    return changes
