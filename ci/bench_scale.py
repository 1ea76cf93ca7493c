"""bench_scale: up and down of generated chains and stars (netns and unikernel nodes) against the kernel floor.

Each measurement runs in its own worker process (`python ci/bench_scale.py lab|floor TOPOLOGY STATE_DIR`) so its
peak RSS is the orchestrator's alone. Workers keep their runs under a private state directory; whatever a worker
leaves there (it was killed, Ctrl-C) is torn down by ownership when it ends. The floor is the same plan's namespaces,
veths and TAPs made in the plainest loop (unshare + bind mount per namespace, one pyroute2 request per link).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NETNS_SIZES = (50, 200, 1000)
UNIKERNEL_SIZES = (10, 50)
GUEST_IMAGE = "ping-serve"
GUEST_MEMORY_MIB = 8
FLOOR_LOG = "floor-namespaces.txt"  # write-ahead list of the floor's namespaces, for the sweep after it
GOALS = {"chain 1000 up_s": 3.0, "chain 1000 down_s": 1.0, "unikernel-star 100 up_s": 3.0,
         "chain 10000 up_s": 40.0, "chain 10000 down_s": 10.0,
         "orchestrator_rss_mib at 10000": 1024, "monitor_rss_mib": 8}


def topology_text(shape: str, nodes: int) -> str:
    sys.path.insert(0, str(HERE))
    from gen_chain import chain
    from gen_star import star

    if shape == "chain":
        return chain(nodes, f"scale-chain-{nodes}", None)
    if shape == "star":
        return star(nodes - 1, f"scale-star-{nodes}", None, GUEST_MEMORY_MIB)
    return star(nodes, f"scale-ukstar-{nodes}", GUEST_IMAGE, GUEST_MEMORY_MIB)


def cases(args) -> list[tuple[str, int]]:
    netns = [(shape, n) for shape in args.shapes for n in args.netns_sizes]
    return netns + [("unikernel-star", n) for n in args.unikernel_sizes]


def run(args, progress) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="tbscale-") as tmp:
        for shape, nodes in cases(args):
            topology = Path(tmp) / f"{shape}-{nodes}.yaml"
            topology.write_text(topology_text(shape, nodes))
            samples = {"lab": [], "floor": []}
            for round_ in range(args.rounds):
                for mode in ("floor", "lab") if args.floor and shape != "unikernel-star" else ("lab",):
                    progress(f"scale: {shape} {nodes} nodes, {mode}, round {round_ + 1}/{args.rounds}")
                    samples[mode].append(_worker(mode, topology, Path(tmp) / "state"))
            rows.append(_row(shape, nodes, samples))
    return {"bench": "scale", "rounds": args.rounds, "guest": f"{GUEST_IMAGE}, {GUEST_MEMORY_MIB} MiB",
            "goals": GOALS, "rows": rows, "plot": _plot(rows, args.plot)}


def _worker(mode: str, topology: Path, state_dir: Path) -> dict:
    """One measurement in a fresh process; afterwards, tear down whatever it recorded and left behind."""
    state_dir.mkdir(exist_ok=True)
    env = {**os.environ, "TESTBED_STATE_DIR": str(state_dir)}
    process = subprocess.Popen([sys.executable, __file__, mode, str(topology), str(state_dir)],
                               stdout=subprocess.PIPE, env=env, text=True)
    try:
        out, _ = process.communicate()
    finally:
        process.wait()  # on Ctrl-C the worker got the signal too: let it roll back first
        leftovers = _sweep(state_dir)
    if process.returncode != 0:
        raise RuntimeError(f"{mode} {topology.name}: worker exited with status {process.returncode}")
    if leftovers:
        raise RuntimeError(f"{mode} {topology.name}: left behind {leftovers}")
    return json.loads(out)


def _sweep(state_dir: Path) -> list[str]:
    """Remove what the worker recorded: its runs (by their state) and the floor's write-ahead namespace list."""
    os.environ["TESTBED_STATE_DIR"] = str(state_dir)
    from testbed.apply import namespaces
    from testbed.down import state, teardown

    problems = []
    for run_id in state.run_ids():
        problems += teardown.destroy(state.RunDir.for_run(run_id))
    floor_log = state_dir / FLOOR_LOG
    if floor_log.exists():
        left = [name for name in floor_log.read_text().split() if namespaces.remove(name)]
        problems += [f"floor namespace {name}" for name in left]
        floor_log.unlink()
    return problems


def _row(shape: str, nodes: int, samples: dict) -> dict:
    lab, floor = samples["lab"], samples["floor"]
    row = {"shape": shape, "nodes": nodes, "samples": samples}
    for key in ("up_s", "down_s", "peak_rss_mib"):
        row[key] = statistics.median(s[key] for s in lab)
    row["up_per_node_ms"] = 1000 * row["up_s"] / nodes
    row["down_per_node_ms"] = 1000 * row["down_s"] / nodes
    monitors = [rss for s in lab for rss in s["monitor_rss_mib"]]
    row["monitor_rss_mib"] = statistics.median(monitors) if monitors else None
    row["up_phases"] = {k: statistics.median(s["up_phases"].get(k, 0.0) for s in lab) for k in lab[0]["up_phases"]}
    row["down_phases"] = {k: statistics.median(s["down_phases"].get(k, 0.0) for s in lab)
                          for k in lab[0]["down_phases"]}
    if floor:
        row["floor_up_s"] = statistics.median(s["up_s"] for s in floor)
        row["floor_down_s"] = statistics.median(s["down_s"] for s in floor)
        row["up_x_floor"] = row["up_s"] / row["floor_up_s"]
        row["down_x_floor"] = row["down_s"] / row["floor_down_s"]
    return row


def _plot(rows: list[dict], path: Path | None) -> str | None:
    if path is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5))
    for shape in dict.fromkeys(r["shape"] for r in rows):
        mine = [r for r in rows if r["shape"] == shape]
        sizes = [r["nodes"] for r in mine]
        axes.plot(sizes, [r["up_s"] for r in mine], "o-", label=f"{shape} up")
        axes.plot(sizes, [r["down_s"] for r in mine], "s--", label=f"{shape} down")
        if all("floor_up_s" in r for r in mine):
            axes.plot(sizes, [r["floor_up_s"] for r in mine], ":", color="grey", label=f"{shape} kernel floor up")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("nodes")
    axes.set_ylabel("seconds")
    axes.set_title("testbed up/down time vs nodes")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return str(path)


# --- the worker side

def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure_lab(topology: str) -> dict:
    from testbed.lab import Lab

    started = time.monotonic()
    lab = Lab.up(topology, name_prefix="tbscale")
    up_s = time.monotonic() - started
    try:
        monitors = [_rss_mib(p["pid"]) for p in lab.processes().values()]
    finally:
        started = time.monotonic()
        problems = lab.down()
        down_s = time.monotonic() - started
    if problems:
        raise RuntimeError("; ".join(problems))
    return {"up_s": up_s, "down_s": down_s, "up_phases": dict(lab.timings.phases),
            "down_phases": dict(lab.down_timings.phases),
            "monitor_rss_mib": [m for m in monitors if m is not None], "peak_rss_mib": _peak_rss_mib()}


def measure_floor(topology: str, state_dir: str) -> dict:
    """The same namespaces, veths and TAPs as the lab, in the plainest loop, then removed."""
    from pyroute2 import IPRoute

    from testbed.apply import namespaces, nsenter
    from testbed.plan import planner
    from testbed.topology.load import load_topology

    plan = planner.make_plan(load_topology(topology), planner.new_run_id("tbfloor"))
    names = [ns.name for ns in plan.namespaces]
    (Path(state_dir) / FLOOR_LOG).write_text("\n".join(names) + "\n")  # before any exists
    started = time.monotonic()
    try:
        for name in names:
            namespaces.create(name)
        with IPRoute() as ipr:
            for veth in plan.veths:
                fds = [os.open(nsenter.netns_path(n), os.O_RDONLY) for n in (veth.namespace, veth.peer_namespace)]
                try:
                    ipr.link("add", ifname=veth.ifname, kind="veth", net_ns_fd=fds[0],
                             peer={"ifname": veth.peer_ifname, "net_ns_fd": fds[1]})
                finally:
                    for fd in fds:
                        os.close(fd)
        for tap in plan.taps:
            with namespaces.inside(tap.namespace), IPRoute() as ipr:
                ipr.link("add", ifname=tap.ifname, kind="tuntap", mode="tap")
        up_s = time.monotonic() - started
    finally:
        started = time.monotonic()
        for name in names:
            namespaces.remove(name)
        down_s = time.monotonic() - started
    return {"up_s": up_s, "down_s": down_s, "peak_rss_mib": _peak_rss_mib()}


def _worker_main(argv: list[str]) -> int:
    mode, topology, state_dir = argv
    sys.path.insert(0, str(HERE.parent))
    try:
        result = measure_lab(topology) if mode == "lab" else measure_floor(topology, state_dir)
    except KeyboardInterrupt:  # Ctrl-C reached the whole group: the lab rolled back, the bench says so
        return 130
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
