"""bench_report: renders bench results as rich tables and writes them, with the machine they came from, as JSON."""
from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench_ping import interval_label
from testbed.experiment.environment import environment as experiment_environment

# udp-rx columns: (metric key, header, format), in two tables so each fits a terminal.
# A column shows only when some variant has the metric, so the shared-memory modes' rows slot in as metrics.
UDP_RX_THROUGHPUT = [
    ("pps", "rx pkt/s", "{:,.0f}"),
    ("pps:range", "min – max", None),
    ("ratio_to_ceiling", "× ceiling", "{:.3f}"),
    ("offered_pps", "offered/s", "{:,.0f}"),
    ("drop_pct", "drop %", "{:.1f}"),
    ("tap_drop_pct", "at TAP %", "{:.1f}"),
    ("lost_after_tap", "lost past TAP", "{:,.0f}"),
]
UDP_RX_COST = [
    ("exits_per_packet", "exits/pkt", "{:.3f}"),
    ("user_exits_per_packet", "user exits/pkt", "{:.3f}"),
    ("emulations_per_packet", "emul./pkt", "{:.2f}"),
    ("cpu_us_per_packet", "CPU µs/pkt", "{:.2f}"),
    ("cpu_pct", "CPU %", "{:.0f}"),
    ("ping_p50_us", "ping p50 µs", "{:.0f}"),
    ("ping_p99_us", "ping p99 µs", "{:.0f}"),
    ("ping_loss_pct", "ping loss %", "{:.1f}"),
    ("light_rate_pps", "light pkt/s", "{:,.0f}"),
    ("light_cpu_pct", "light CPU %", "{:.1f}"),
    ("light_drop_pct", "light drop %", "{:.1f}"),
]
LEGEND = ("rx pkt/s = guest-counted packets / flood seconds; drop % = (offered - received) / offered, "
          "'at TAP' the kernel's TAP queue overflowing; exits = KVM vCPU 'exits' stat, user exits = "
          "exits to the monitor; emul. = KVM insn_emulation; CPU = receiver process during the flood; "
          "ping = host -> idle guest; light = paced flood at a fraction of the round's ceiling.")


def environment() -> dict:
    # The same facts `testbed experiment` records, plus the load: a busy shared machine shows here.
    return {**experiment_environment(), "loadavg": loadavg()}


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _cell(summary: dict, key: str, fmt: str | None) -> str:
    if key.endswith(":range"):
        s = summary.get(key.split(":")[0])
        return f"{s['min']:,.0f}–{s['max']:,.0f}" if s else "—"
    s = summary.get(key)
    return fmt.format(s["median"]) if s else "—"


def _variant_table(title: str, rows: list[dict], columns: list, caption: str | None = None) -> Table:
    shown = [c for c in columns if any(r["summary"].get(c[0].split(":")[0]) is not None for r in rows)]
    table = Table(title=title, caption=caption)
    table.add_column("variant", style="bold")
    for _, header, _ in shown:
        table.add_column(header, justify="right")
    for r in rows:
        table.add_row(r["name"], *(_cell(r["summary"], key, fmt) for key, _, fmt in shown))
    return table


def _placement(cpus: dict | None) -> str:
    if not cpus or cpus.get("vcpu") is None:
        return "unpinned"
    return f"vcpu {cpus['vcpu']}, io {cpus['io']} nice {cpus['io_nice']}"


def udp_rx_tables(result: dict) -> list[Table]:
    rows = result["variants"]
    head = (f"udp-rx: {result['frame_bytes']}-byte UDP frames, {result['seconds']:g} s floods, "
            f"{result['repeats']} repeats, flood GSO {result.get('flood_gso', 1)}, "
            f"ceiling = {result.get('ceiling', 'tapread')}, cpus {_placement(result.get('cpus'))} (medians)")
    tables = [_variant_table(f"{head}: throughput", rows, UDP_RX_THROUGHPUT),
              _variant_table("udp-rx: cost per packet, latency, light load", rows, UDP_RX_COST, LEGEND)]
    if len(result.get("ping_intervals") or ()) > 1:
        tables.append(_variant_table("udp-rx: ping per interval (the ceiling's row: ci/tap_echo.py, the host floor)",
                                     rows, ping_interval_columns(result["ping_intervals"])))
    return tables


def ping_interval_columns(intervals: list[float]) -> list:
    """p50, p99 and the answerer's CPU per echo at each --ping-intervals spacing (bench_ping.interval_label's keys)."""
    columns = []
    for interval in intervals:
        label, ms = interval_label(interval), f"{interval * 1000:g} ms"
        columns += [(f"ping_{label}p50_us", f"{ms} p50 µs", "{:.0f}"),
                    (f"ping_{label}p99_us", f"{ms} p99 µs", "{:.0f}"),
                    (f"ping_{label}cpu_us", f"{ms} CPU µs/echo", "{:.0f}")]
    return columns


def boot_table(result: dict) -> Table:
    summary = result["summary"]
    table = Table(title=f"boot: hello, {summary['wall_ms']['n']} runs", caption=f"goal ≤ "
                  f"{result['goal_ms']:.0f} ms spawn to exit: {'met' if result['goal_met'] else 'NOT met'}")
    for header in ("", "median", "min", "max"):
        table.add_column(header, justify="right")
    rows = [("wall ms (spawn → reaped)", "wall_ms"), ("monitor's own wall ms", "monitor_wall_ms"),
            ("CPU ms", "cpu_ms"), ("VM exits", "vm_exits")]
    for label, key in rows:
        s = summary.get(key)
        if s:
            table.add_row(label, f"{s['median']:.1f}", f"{s['min']:.1f}", f"{s['max']:.1f}")
    return table


def startup_tables(result: dict) -> list[Table]:
    commands = Table(title=f"startup: {' '.join(result['command'])}, {result['rounds']} rounds (seconds)",
                     caption=f"mininet: {result['mininet']}")
    for header in ("command", "median", "min", "max", "goal"):
        commands.add_column(header, justify="right")
    for name, s in result["summary"].items():
        goal = result["goals_s"].get(name)
        commands.add_row(name, f"{s['median']:.3f}", f"{s['min']:.3f}", f"{s['max']:.3f}",
                         f"≤ {goal:g}" if goal else "")
    phases = Table(title="startup: where `testbed run pingpair` spends its time (seconds, medians)")
    phases.add_column("phase")
    phases.add_column("median", justify="right")
    for name, s in result["run_phases"].items():
        phases.add_row(name, f"{s['median']:.4f}")
    return [commands, phases]


SCALE_COLUMNS = [
    ("up_s", "up s", "{:.2f}"), ("up_per_node_ms", "up ms/node", "{:.2f}"), ("floor_up_s", "floor up s", "{:.2f}"),
    ("up_x_floor", "up × floor", "{:.1f}"), ("down_s", "down s", "{:.2f}"),
    ("down_per_node_ms", "down ms/node", "{:.2f}"), ("floor_down_s", "floor down s", "{:.2f}"),
    ("down_x_floor", "down × floor", "{:.1f}"), ("peak_rss_mib", "peak RSS MiB", "{:.0f}"),
    ("monitor_rss_mib", "RSS/monitor MiB", "{:.1f}"),
]


def _phase_table(title: str, rows: list[dict], key: str) -> Table:
    # Phases that took no measurable time in any row (no bridges, no sysctls, ...) are left out.
    names = [name for name in dict.fromkeys(name for r in rows for name in r.get(key, {}))
             if any(r[key].get(name, 0.0) >= 0.0005 for r in rows)]
    table = Table(title=title)
    table.add_column("shape")
    table.add_column("nodes", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(r["shape"], str(r["nodes"]), *(f"{r[key].get(n, 0.0):.3f}" for n in names))
    return table


def scale_tables(result: dict) -> list[Table]:
    rows = result["rows"]
    caption = ("floor = the same namespaces, veths and TAPs made and removed in the plainest loop, same run; "
               "peak RSS = the orchestrator process; RSS/monitor = median VmRSS of a running monitor; "
               f"unikernel spokes: {result['guest']}" + (f"; plot: {result['plot']}" if result.get("plot") else ""))
    table = Table(title=f"scale: up and down, medians of {result['rounds']} round(s)", caption=caption)
    table.add_column("shape", style="bold")
    table.add_column("nodes", justify="right")
    for _, header, _ in SCALE_COLUMNS:
        table.add_column(header, justify="right")
    for r in rows:
        cells = [fmt.format(r[key]) if r.get(key) is not None else "—" for key, _, fmt in SCALE_COLUMNS]
        table.add_row(r["shape"], str(r["nodes"]), *cells)
    return [table, _phase_table("scale: where `up` goes (seconds)", rows, "up_phases"),
            _phase_table("scale: where `down` goes (seconds)", rows, "down_phases")]


TABLES = {"udp-rx": udp_rx_tables, "udp-tx": lambda result: __import__("bench_udp_tx").tables(result), "boot": lambda result: [boot_table(result)], "startup": startup_tables,
          "scale": scale_tables, "capture": lambda result: __import__("bench_capture").tables(result),
          "links": lambda result: __import__("bench_links").tables(result),
          "stop": lambda result: __import__("bench_stop").tables(result)}


def show(result: dict, console: Console) -> None:
    for table in TABLES[result["bench"]](result):
        console.print(table)


def write_json(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
