"""experiment.report: a results file as rich tables: per variant the medians, the primary's range and spread."""
from __future__ import annotations

from rich.table import Table

from testbed.experiment.results import primary_metric, table_metrics


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.01 or magnitude == 0:
        return f"{value:.3f}"
    return f"{value:.2e}"


def header(metric: str) -> str:
    """sink.cpu_us_per_packet -> "sink CPU µs/pkt": short enough for a terminal column."""
    name, _, key = metric.partition(".")
    pretty = {"pps": "pkt/s", "exits_per_packet": "exits/pkt", "cpu_us_per_packet": "CPU µs/pkt", "cpu_pct": "CPU %",
              "user_exits_per_packet": "user exits/pkt", "emulations_per_packet": "emul./pkt"}
    if ".vs_" in key:
        base_key, _, baseline = key.partition(".vs_")
        return f"{name} {pretty.get(base_key, base_key)} ÷ {baseline}"
    return f"{name} {pretty.get(key, key)}"


def variant_table(results: dict) -> Table:
    metrics, primary = table_metrics(results), primary_metric(results)
    sweep = results.get("sweep") or {}
    env = results.get("environment") or {}
    title = (f"{results['topology']}: {sweep.get('repeat')} repeats (+{sweep.get('warmup', 0)} warm-up), medians · "
             f"{env.get('kvm', '?')} KVM, {env.get('cores', '?')} cores, git {env.get('git') or '?'}")
    table = Table(title=title, caption=_caption(results))
    table.add_column("variant", style="bold")
    for metric in metrics:
        table.add_column(header(metric), justify="right")
        if metric == primary:
            table.add_column("min – max", justify="right")
            table.add_column("CV %", justify="right")
    table.add_column("ok/runs", justify="right")
    for variant in results["variants"]:
        summary, row = variant["summary"], [variant["name"]]
        for metric in metrics:
            s = summary.get(metric)
            row.append(fmt(s["median"]) if s else "—")
            if metric == primary:
                row.append(f"{fmt(s['min'])} – {fmt(s['max'])}" if s else "—")
                row.append(f"{100 * s['cv']:.1f}" if s else "—")
        measured = [x for x in variant["samples"] if not x.get("warmup")]
        row.append(f"{sum(1 for x in measured if not x.get('error'))}/{len(measured)}")
        table.add_row(*row)
    return table


def _caption(results: dict) -> str:
    notes = [f"skipped {s['variant']}: {s['reason']}" for s in results.get("skipped", [])]
    for variant in results["variants"]:
        errors = [x["error"] for x in variant["samples"] if x.get("error")]
        if errors:
            notes.append(f"{variant['name']}: {len(errors)} failed, e.g. {errors[0][:160]}")
    return "\n".join(notes)
