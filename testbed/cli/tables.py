"""cli.tables: what a running lab looks like, as rows for rich tables and as JSON for `--json`."""
from __future__ import annotations

from testbed.apply import confinement
from testbed.apply.procs import ProcessId
from testbed.run.checks import CheckResult

TROUBLED_SHOWN = 10  # unikernels not running named in a summary


def node_rows(state: dict, plan: dict) -> list[dict]:
    """One row per node: name, kind, namespace, pid, interfaces and addresses, state; a running monitor's confinement."""
    processes = state.get("processes", {})
    taps = {(m["node"], nic["name"]): f"{nic['tap']}@{nic['tap_namespace']}"
            for m in plan.get("monitors", ()) for nic in m["nics"]}
    rows = []
    for node in plan["nodes"]:
        record = processes.get(node["name"])
        node_state = _node_state(node, record, state.get("phase"))
        rows.append({
            "node": node["name"], "kind": node["kind"], "namespace": node["namespace"],
            "pid": record["pid"] if record else None,
            "interfaces": [{"name": i["name"], "address": i["address"], "peer": i["peer"],
                            "mechanism": i["mechanism"], "tap": taps.get((node["name"], i["name"]))}
                           for i in node["interfaces"]],
            "state": node_state,
            "confinement": confinement.read(record["pid"]) if node_state == "running" else None,
        })
    return rows


def _node_state(node: dict, record: dict | None, phase: str | None) -> str:
    if node["kind"] != "unikernel":
        return phase or "?"
    if record is None:
        return "not started"
    if record.get("exit") is not None:
        return confinement.exit_text(record["exit"])
    return "running" if ProcessId.from_json(record).alive() else "gone"


def run_summary(state: dict, plan: dict, path: str) -> dict:
    return {"run_id": state["run_id"], "topology": state["topology"], "source": state.get("source"),
            "state_dir": path, "phase": state.get("phase"), "owner": state.get("owner"),
            "nodes": node_rows(state, plan)}


def print_nodes(summary: dict, console) -> None:
    from rich.table import Table

    table = Table(title=f"run {summary['run_id']} · {summary['topology']} · {summary['state_dir']}")
    for column in ("node", "kind", "namespace", "pid", "interfaces", "state"):
        table.add_column(column)
    for row in summary["nodes"]:
        interfaces = "\n".join(_interface_text(i) for i in row["interfaces"]) or "-"
        table.add_row(row["node"], row["kind"], row["namespace"], str(row["pid"] or "-"), interfaces, row["state"])
    console.print(table)


def print_summary(summary: dict, console) -> None:
    """A run in a few lines, however many nodes: counts by kind and state; unikernels not running are named."""
    counts: dict[tuple[str, str], int] = {}
    for row in summary["nodes"]:
        key = (row["kind"], row["state"])
        counts[key] = counts.get(key, 0) + 1
    kinds = dict.fromkeys(kind for kind, _ in counts)
    by_kind = "; ".join(f"{kind}: " + ", ".join(f"{n} {state}" for (k, state), n in counts.items() if k == kind)
                        for kind in kinds)
    links = sum(len(row["interfaces"]) for row in summary["nodes"]) // 2
    console.print(f"[bold]run {summary['run_id']}[/bold] · {summary['topology']} · {summary['state_dir']}")
    console.print(f"  {len(summary['nodes'])} nodes, {links} links · {by_kind}")
    troubled = [row for row in summary["nodes"] if row["kind"] == "unikernel" and row["state"] != "running"]
    for row in troubled[:TROUBLED_SHOWN]:
        console.print(f"  {row['node']}: {row['state']}")
    if len(troubled) > TROUBLED_SHOWN:
        console.print(f"  … and {len(troubled) - TROUBLED_SHOWN} more not running")
    console.print(f"  (every node: testbed status {summary['run_id']} --nodes; as JSON: --json)")


def _interface_text(interface: dict) -> str:
    carrier = f"tap {interface['tap']}" if interface.get("tap") else interface["mechanism"]
    return f"{interface['name']} {interface['address'] or '-'} → {interface['peer']} ({carrier})"


def print_checks(results: list[CheckResult], console) -> None:
    from rich.table import Table

    table = Table(title="checks")
    for column in ("check", "result", "measured"):
        table.add_column(column)
    for result in results:
        verdict = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]"
        table.add_row(result.name, verdict, result.message)
    console.print(table)
