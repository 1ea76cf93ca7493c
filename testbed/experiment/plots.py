"""experiment.plots: one PNG per table metric: the median per variant as a bar, min–max as its error bar."""
from __future__ import annotations

import re
from pathlib import Path

from testbed.experiment.report import header
from testbed.experiment.results import table_metrics

LOG_SPAN = 50  # per-packet costs spanning more than this between variants get a log axis


def write_plots(results: dict, directory: str | Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a test machine
    import matplotlib.pyplot as plt

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for metric in table_metrics(results):
        rows = [(v["name"], v["summary"].get(metric)) for v in results["variants"]]
        rows = [(name, s) for name, s in rows if s]
        if not rows:
            continue
        names = [name for name, _ in rows]
        medians = [s["median"] for _, s in rows]
        spread = [[s["median"] - s["min"] for _, s in rows], [s["max"] - s["median"] for _, s in rows]]
        figure, axes = plt.subplots(figsize=(max(4.0, 1.1 * len(rows) + 2), 3.6), layout="constrained")
        colours = ["0.55" if v.get("baseline") else "C0" for v in results["variants"] if v["summary"].get(metric)]
        axes.bar(names, medians, yerr=spread, capsize=5, color=colours)
        positive = [m for m in medians if m > 0]
        if "per_packet" in metric and positive and max(positive) / min(positive) > LOG_SPAN:
            axes.set_yscale("log")  # 1 exit per packet next to 0.007: on a linear axis the small ones vanish
        axes.set_ylabel(header(metric))
        axes.set_title(f"{results['topology']}: {header(metric)} (median, min–max of "
                       f"{results.get('sweep', {}).get('repeat', '?')})", fontsize=10)
        axes.grid(axis="y", alpha=0.3)
        path = directory / f"{results['topology']}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', metric)}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written
