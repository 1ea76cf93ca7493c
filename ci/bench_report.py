"""bench_report: renders bench results as rich tables and writes them, with the machine they came from, as JSON."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

# udp-rx columns: (metric key, header, format). Issue 4's rows slot in as extra metrics
# (ping_p50_us, ping_p99_us, light_cpu_pct); a column shows only when some variant has it.
UDP_RX_COLUMNS = [
    ("pps", "rx pkt/s", "{:,.0f}"),
    ("pps:range", "min – max", None),
    ("ratio_to_ceiling", "× ceiling", "{:.3f}"),
    ("offered_pps", "offered/s", "{:,.0f}"),
    ("drop_pct", "drop %", "{:.1f}"),
    ("tap_drop_pct", "at TAP %", "{:.1f}"),
    ("lost_after_tap", "lost past TAP", "{:,.0f}"),
    ("exits_per_packet", "exits/pkt", "{:.3f}"),
    ("user_exits_per_packet", "user exits/pkt", "{:.3f}"),
    ("emulations_per_packet", "emul./pkt", "{:.2f}"),
    ("cpu_us_per_packet", "CPU µs/pkt", "{:.2f}"),
    ("cpu_pct", "CPU %", "{:.0f}"),
    ("ping_p50_us", "ping p50 µs", "{:.0f}"),
    ("ping_p99_us", "ping p99 µs", "{:.0f}"),
    ("light_cpu_pct", "light CPU %", "{:.1f}"),
]
LEGEND = ("rx pkt/s = guest-counted packets / flood seconds; drop % = (offered - received) / offered, "
          "'at TAP' the kernel's TAP queue overflowing; exits = KVM vCPU 'exits' stat, user exits = "
          "exits to the monitor; emul. = KVM insn_emulation; CPU = receiver process during the flood.")


def environment() -> dict:
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "kvm": "pvm" if Path("/sys/module/kvm_pvm").exists() else "hardware" if Path("/dev/kvm").exists() else "none",
        "git": _git_revision(),
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def _git_revision() -> str | None:
    done = subprocess.run(["git", "-C", str(Path(__file__).parent), "describe", "--always", "--dirty"],
                          capture_output=True, text=True)
    return done.stdout.strip() or None


def _cell(summary: dict, key: str, fmt: str | None) -> str:
    if key.endswith(":range"):
        s = summary.get(key.split(":")[0])
        return f"{s['min']:,.0f} – {s['max']:,.0f}" if s else "—"
    s = summary.get(key)
    return fmt.format(s["median"]) if s else "—"


def udp_rx_table(result: dict) -> Table:
    rows = result["variants"]
    shown = [c for c in UDP_RX_COLUMNS if any(r["summary"].get(c[0].split(":")[0]) is not None for r in rows)]
    table = Table(title=f"udp-rx: {result['frame_bytes']}-byte UDP frames, {result['seconds']:g} s floods, "
                        f"{result['repeats']} repeats (medians; ratios paired per round)", caption=LEGEND)
    table.add_column("variant", style="bold")
    for _, header, _ in shown:
        table.add_column(header, justify="right")
    for r in rows:
        table.add_row(r["name"], *(_cell(r["summary"], key, fmt) for key, _, fmt in shown))
    return table


def boot_table(result: dict) -> Table:
    summary = result["summary"]
    table = Table(title=f"boot: hello, spawn to exit, {summary['wall_ms']['n']} runs "
                        f"(goal ≤ {result['goal_ms']:.0f} ms: {'met' if result['goal_met'] else 'NOT met'})")
    for header in ("", "median", "min", "max"):
        table.add_column(header, justify="right")
    rows = [("wall ms (spawn → reaped)", "wall_ms"), ("monitor's own wall ms", "monitor_wall_ms"),
            ("CPU ms", "cpu_ms"), ("VM exits", "vm_exits")]
    for label, key in rows:
        s = summary.get(key)
        if s:
            table.add_row(label, f"{s['median']:.1f}", f"{s['min']:.1f}", f"{s['max']:.1f}")
    return table


TABLES = {"udp-rx": udp_rx_table, "boot": boot_table}


def show(result: dict, console: Console) -> None:
    console.print(TABLES[result["bench"]](result))


def write_json(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
