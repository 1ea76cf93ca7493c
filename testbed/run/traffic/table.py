"""run.traffic.table: what each traffic item measured, as one rich table row per item (for `testbed run`)."""
from __future__ import annotations

# Shown first when present, in this order; the rest of an item's numbers follow in the JSON only.
HEADLINE = ("sent_packets", "tx_packets", "rx_packets", "transmitted", "received", "pps", "bits_per_second",
            "loss_percent", "rtt_p50_ms", "rtt_p99_ms", "exits_per_packet", "cpu_pct", "cpu_us_per_packet", "fired")


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_traffic(traffic: dict[str, dict], console) -> None:
    from rich.table import Table

    if not traffic:
        return
    table = Table(title="traffic")
    for column in ("item", "kind", "measured"):
        table.add_column(column)
    for name, figures in traffic.items():
        shown = [f"{key} {_value(figures[key])}" for key in HEADLINE if figures.get(key) is not None]
        table.add_row(name, figures.get("kind", ""), ", ".join(shown))
    console.print(table)
