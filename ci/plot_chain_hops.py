#!/usr/bin/env python3
"""ci/plot_chain_hops.py: a `testbed experiment` results file of experiments/chain-hops(-rtt).yaml as lines over the
number of forwarders, one per link type (and frame size): what a hop costs, shm against tap.

    python3 ci/plot_chain_hops.py results/chain-hops.json [--metric sink.pps] [--out chain-hops.png]
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

VARIANT = re.compile(r"^h(\d+)-(shm|tap)(?:-(\d+))?$")  # what ci/gen_chain_hops.py names them


def series(results: dict, metric: str) -> dict[str, list[tuple[int, float]]]:
    """{'shm 1300 B': [(hops, median), ...], ...} from the variants named h<hops>-<type>[-<frame>]."""
    lines: dict[str, list[tuple[int, float]]] = {}
    for variant in results["variants"]:
        match = VARIANT.match(variant["name"])
        value = variant["summary"].get(metric, {}).get("median")
        if not match or value is None:
            continue
        label = f"{match[2]} {match[3]} B" if match[3] else match[2]
        lines.setdefault(label, []).append((int(match[1]), value))
    return {label: sorted(points) for label, points in sorted(lines.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--metric", help="default: the sweep's primary metric")
    parser.add_argument("--out", type=Path, help="default: RESULTS with .hops.png")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    metric = args.metric or results["sweep"].get("primary") or results["sweep"]["metrics"][0]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, points in series(results, metric).items():
        ax.plot([h for h, _ in points], [v for _, v in points], marker="o", label=label,
                linestyle="-" if label.startswith("shm") else "--")
    ax.set_xlabel("forwarders on the path")
    ax.set_ylabel(metric)
    ax.set_yscale("log")
    rounds = max((v["summary"].get(metric, {}).get("n", 0) for v in results["variants"]), default=0)
    ax.set_title(f"{results['topology']}: {metric} (median of {rounds} rounds)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    out = args.out or args.results.with_suffix(".hops.png")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"plot: {out}")


if __name__ == "__main__":
    main()
