#!/usr/bin/env python3
"""ci/bench_hops.py: what each forwarding hop costs: guest -> K forwarders -> guest over shm links (event mode,
1300-B UDP) for K = 1, 2, 4, rounds interleaved in one run; per forwarder image given, so two builds of the
forwarder compare in the same run. Prints the sink's packets/s, the per-hop cost (1 - (hK / h1) ** (1 / (K - 1))),
each forwarder's exits and vCPU microseconds per packet sent.

    python3 ci/bench_hops.py [--images forward,/tmp/other-forward.hvt] [--repeats 3] [--json results/bench-hops.json]

The full sweep (1-8 forwarders, shm and tap, two frame sizes) is experiments/chain-hops.yaml; this is the quick one.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testbed.lab import Lab

HOPS = (1, 2, 4)
PAYLOAD = 1300 - 14 - 20 - 8


def forwarder(i: int, hops: int, image: str) -> str:
    """Forwarder i of the chain; a built-in image gets its --if/--route from the planner, a path gets them here."""
    if "/" not in image:
        return f"  r{i}: {{kind: unikernel, image: {image}, io: event, memory: 16}}"
    args = [f"--if=net0,10.40.{i - 1}.2/30", f"--if=net1,10.40.{i}.1/30"]
    if i < hops:  # the sink's subnet lies past the next forwarder
        args.append(f"--route=10.40.{hops}.0/30,10.40.{i}.2")
    quoted = ", ".join(f"'{a}'" for a in args)
    return f"  r{i}: {{kind: unikernel, image: {image}, io: event, memory: 16, auto_args: false, args: [{quoted}]}}"


def chain_topology(folder: Path, hops: int, image: str, seconds: float) -> Path:
    """src -> r1 -> ... -> r<hops> -> dst, link j on 10.40.j.0/30 (its first end .1, its second .2)."""
    nodes = [(f"  src: {{kind: unikernel, image: udp-source, io: event, memory: 16, gateway: 10.40.0.2, "
              f"args: [--dst=10.40.{hops}.2:5000, --size={PAYLOAD}, --seconds={seconds + 1.5}]}}"),
             f"  dst: {{kind: unikernel, image: udp-sink, io: event, memory: 16, args: [--seconds={seconds}]}}",
             *(forwarder(i, hops, image) for i in range(1, hops + 1))]
    links = []
    for j in range(hops + 1):
        left = "src:service0" if j == 0 else f"r{j}:net1"
        right = "dst:service0" if j == hops else f"r{j + 1}:net0"
        links.append(f"  - {{endpoints: [{left}, {right}], subnet: 10.40.{j}.0/30, type: shm}}")
    path = folder / f"hops{hops}-{Path(image).stem}.yaml"
    path.write_text("name: benchhops\nnodes:\n" + "\n".join(nodes) + "\nlinks:\n" + "\n".join(links) + "\n")
    return path


def summary(lab: Lab, node: str, deadline: float) -> dict | None:
    while time.monotonic() < deadline:
        found = next((json.loads(line) for line in lab.console(node).splitlines() if line.startswith('{"summary"')),
                     None)
        if found:
            return found
        time.sleep(0.05)
    return None


def chain(topology: Path, hops: int, timeout: float = 60) -> dict:
    with Lab.up(topology, name_prefix="bhop") as lab:
        deadline = time.monotonic() + timeout
        sink, source = summary(lab, "dst", deadline), summary(lab, "src", deadline)
    if sink is None or source is None:
        raise RuntimeError(f"{topology.name}: the sink or the source printed no summary")
    sent = source["tx_packets"]
    forwarders = [lab.stats(f"r{i}") or {} for i in range(1, hops + 1)]
    return {"pps": sink["pps"], "sent": sent,
            "fwd_exits_per_packet": [s.get("vm_exits", 0) / sent for s in forwarders],
            "fwd_vcpu_us_per_packet": [s.get("cpu_seconds", {}).get("vcpu", 0) * 1e6 / sent for s in forwarders]}


def hop_cost(pps: float, single: float, hops: int) -> float:
    """The share of packets/s each hop past the first costs, spread evenly."""
    return 1 - (pps / single) ** (1 / (hops - 1))


def report(rounds: list[dict], images: list[str]) -> dict:
    medians = {}
    for image in images:
        for hops in HOPS:
            rows = [r[image][hops] for r in rounds]
            entry = {"pps": statistics.median(x["pps"] for x in rows),
                     "fwd_vcpu_us_per_packet": statistics.median(statistics.mean(x["fwd_vcpu_us_per_packet"])
                                                                 for x in rows),
                     "fwd_exits_per_packet": statistics.median(statistics.mean(x["fwd_exits_per_packet"])
                                                               for x in rows)}
            if hops > 1:
                entry["hop_cost"] = statistics.median(hop_cost(r[image][hops]["pps"], r[image][1]["pps"], hops)
                                                      for r in rounds)
            medians[f"{image}:{hops}"] = entry
            cost = f", per-hop cost {entry['hop_cost']:.0%} (goal <= 15%)" if hops > 1 else ""
            print(f"{image} x{hops}: {entry['pps']:,.0f} pps{cost}; a forwarder's vCPU "
                  f"{entry['fwd_vcpu_us_per_packet']:.3f} us and {entry['fwd_exits_per_packet']:.4f} exits per packet")
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default="forward", help="comma-separated: built-in names or paths to ELF files")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    images = args.images.split(",")
    rounds: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tbbench-hops-") as tmp:
        for r in range(args.repeats):
            row = {image: {hops: chain(chain_topology(Path(tmp), hops, image, args.seconds), hops) for hops in HOPS}
                   for image in images}
            rounds.append(row)
            print(f"round {r + 1}: " + "; ".join(f"{image} " + ", ".join(f"x{h} {row[image][h]['pps']:,.0f}"
                                                                          for h in HOPS) for image in images),
                  flush=True)
    with open("/proc/loadavg") as load:
        print(f"load average after the run: {load.read().split()[0]}")
    medians = report(rounds, images)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"bench": "hops", "rounds": rounds, "medians": medians}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
