#!/usr/bin/env python3
"""ci/bench_hops.py: what each forwarding hop costs: guest -> K forwarders -> guest over shm links (event mode,
1300-B UDP) for K = 1, 2, 4, in one run; per forwarder image given, so two builds of the forwarder compare in the
same run. Prints the sink's packets/s, the per-hop cost (1 - (hK / h1) ** (1 / (K - 1))) of each round and their
median and spread, and what each guest spends per packet (vCPU microseconds, exits).

    python3 ci/bench_hops.py [--images forward,/tmp/other-forward.hvt] [--placements auto,split]
                             [--ring-slots 512,2048] [--repeats 5] [--json results/bench-hops.json]

A variant is an image with a CPU placement and a ring size (every node's `ring_slots`). A round runs every hop count,
and within a hop count every variant back to back (their order alternates between rounds), so a round's ratios
(hK / h1, variant B / variant A) compare runs taken seconds apart on this shared machine; the figures reported are
medians of those per-round ratios with their range, never one lucky round.

The full sweep (1-8 forwarders, shm and tap, two frame sizes) is experiments/chain-hops.yaml; this is the quick one.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testbed.lab import Lab

HOPS = (1, 2, 4)
PAYLOAD = 1300 - 14 - 20 - 8
PLACEMENTS = ("auto", "split")
DEFAULT_SLOTS = 512  # the monitor's ring size when a node gives no ring_slots


def chain_nodes(hops: int) -> list[str]:
    return ["src", *(f"r{i}" for i in range(1, hops + 1)), "dst"]


def placement(node: str, hops: int, how: str) -> str:
    """The node's `cpus:` field. auto: the planner's default (on a 2-core host a chain of three or more guests is
    left unpinned). split: the chain cut in two halves, each on one core with its IO threads, so only the middle
    link's frames cross between cores and neighbours that share a core hand batches over in its cache."""
    if how == "auto":
        return ""
    cores = sorted(os.sched_getaffinity(0))
    order = chain_nodes(hops)
    core = cores[0] if order.index(node) < (len(order) + 1) // 2 else cores[-1]
    return f", cpus: {{vcpu: {core}, io: {core}}}"


def rings(slots: int) -> str:
    """A node's ring size and the memory its rings need (two NICs of two rings of 2 KiB slots, and the image)."""
    if slots == DEFAULT_SLOTS:
        return "memory: 16"
    return f"memory: {max(16, 2 * 2 * slots * 2048 // 2 ** 20 + 8)}, ring_slots: {slots}"


def forwarder(i: int, hops: int, image: str, how: str, slots: int) -> str:
    """Forwarder i of the chain; a built-in image gets its --if/--route from the planner, a path gets them here."""
    cpus = placement(f"r{i}", hops, how) + ", " + rings(slots)
    if "/" not in image:
        return f"  r{i}: {{kind: unikernel, image: {image}, io: event{cpus}}}"
    args = [f"--if=net0,10.40.{i - 1}.2/30", f"--if=net1,10.40.{i}.1/30"]
    if i < hops:  # the sink's subnet lies past the next forwarder
        args.append(f"--route=10.40.{hops}.0/30,10.40.{i}.2")
    quoted = ", ".join(f"'{a}'" for a in args)
    return (f"  r{i}: {{kind: unikernel, image: {image}, io: event, auto_args: false, "
            f"args: [{quoted}]{cpus}}}")


def chain_topology(folder: Path, hops: int, image: str, seconds: float, how: str = "auto",
                   slots: int = DEFAULT_SLOTS) -> Path:
    """src -> r1 -> ... -> r<hops> -> dst, link j on 10.40.j.0/30 (its first end .1, its second .2)."""
    nodes = [(f"  src: {{kind: unikernel, image: udp-source, io: event, {rings(slots)}, gateway: 10.40.0.2, "
              f"args: [--dst=10.40.{hops}.2:5000, --size={PAYLOAD}, --seconds={seconds + 1.5}]"
              f"{placement('src', hops, how)}}}"),
             (f"  dst: {{kind: unikernel, image: udp-sink, io: event, {rings(slots)}, args: [--seconds={seconds}]"
              f"{placement('dst', hops, how)}}}"),
             *(forwarder(i, hops, image, how, slots) for i in range(1, hops + 1))]
    links = []
    for j in range(hops + 1):
        left = "src:service0" if j == 0 else f"r{j}:net1"
        right = "dst:service0" if j == hops else f"r{j + 1}:net0"
        links.append(f"  - {{endpoints: [{left}, {right}], subnet: 10.40.{j}.0/30, type: shm}}")
    path = folder / f"hops{hops}-{Path(image).stem}-{how}-{slots}.yaml"
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


def per_packet(stats: dict, packets: int) -> dict:
    return {"vcpu_us": stats.get("cpu_seconds", {}).get("vcpu", 0) * 1e6 / packets,
            "exits": stats.get("vm_exits", 0) / packets}


def link_counters(stats: dict) -> dict:
    """Per node and NIC, what its monitor counted on the shm link: a round where a hop delivered nothing shows
    which link it was (frames sent into a link that was down, at the start, are its down_drops; those at the end
    come from the sink leaving after its window)."""
    keep = ("state", "tx_frames", "rx_frames", "down_drops")
    return {node: {nic: {k: link.get(k) for k in keep} for nic, link in (s.get("shm_links") or {}).items()}
            for node, s in stats.items()}


def chain(topology: Path, hops: int, timeout: float = 60) -> dict:
    with Lab.up(topology, name_prefix="bhop") as lab:
        deadline = time.monotonic() + timeout
        sink, source = summary(lab, "dst", deadline), summary(lab, "src", deadline)
    if sink is None or source is None:
        raise RuntimeError(f"{topology.name}: the sink or the source printed no summary")
    sent = source["tx_packets"]
    stats = {node: lab.stats(node) or {} for node in chain_nodes(hops)}
    costs = {node: per_packet(stats[node], sent) for node in chain_nodes(hops)}
    forwarders = [costs[f"r{i}"] for i in range(1, hops + 1)]
    return {"pps": sink["pps"], "sent": sent, "per_packet": costs, "links": link_counters(stats),
            "fwd_exits_per_packet": [f["exits"] for f in forwarders],
            "fwd_vcpu_us_per_packet": [f["vcpu_us"] for f in forwarders]}


def hop_cost(pps: float, single: float, hops: int) -> float:
    """The share of packets/s each hop past the first costs, spread evenly."""
    return 1 - (pps / single) ** (1 / (hops - 1))


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "rounds": values}


def report(rounds: list[dict], names: list[str]) -> dict:
    """Medians (and ranges) of the per-round figures; with two variants, also their per-round differences."""
    medians = {}
    for image in names:
        for hops in HOPS:
            rows = [r[image][hops] for r in rounds]
            entry = {"pps": spread([x["pps"] for x in rows]),
                     "fwd_vcpu_us_per_packet": statistics.median(statistics.mean(x["fwd_vcpu_us_per_packet"])
                                                                 for x in rows),
                     "fwd_exits_per_packet": statistics.median(statistics.mean(x["fwd_exits_per_packet"])
                                                               for x in rows),
                     "ends_vcpu_us_per_packet": statistics.median(x["per_packet"]["src"]["vcpu_us"]
                                                                  + x["per_packet"]["dst"]["vcpu_us"] for x in rows)}
            if hops > 1:
                entry["hop_cost"] = spread([hop_cost(r[image][hops]["pps"], r[image][1]["pps"], hops)
                                            for r in rounds])
            medians[f"{image}:{hops}"] = entry
            cost = (f", per-hop cost {entry['hop_cost']['median']:.0%} ({entry['hop_cost']['min']:.0%} to "
                    f"{entry['hop_cost']['max']:.0%}; goal <= 15%)" if hops > 1 else "")
            print(f"{image} x{hops}: {entry['pps']['median']:,.0f} pps{cost}; a forwarder's vCPU "
                  f"{entry['fwd_vcpu_us_per_packet']:.3f} us and {entry['fwd_exits_per_packet']:.4f} exits per packet, "
                  f"source + sink vCPU {entry['ends_vcpu_us_per_packet']:.3f} us per packet")
    if len(names) == 2:
        first, second = names
        for hops in HOPS:
            ratio = spread([r[second][hops]["pps"] / r[first][hops]["pps"] for r in rounds])
            medians[f"pps_ratio:{hops}"] = ratio
            cpu = spread([statistics.mean(r[second][hops]["fwd_vcpu_us_per_packet"])
                          / statistics.mean(r[first][hops]["fwd_vcpu_us_per_packet"]) for r in rounds])
            medians[f"fwd_vcpu_ratio:{hops}"] = cpu
            line = (f"x{hops}: {second} / {first} packets/s {ratio['median']:.2f} "
                    f"({ratio['min']:.2f} to {ratio['max']:.2f}), a forwarder's vCPU per packet {cpu['median']:.2f} "
                    f"({cpu['min']:.2f} to {cpu['max']:.2f})")
            if hops > 1:
                diff = spread([hop_cost(r[second][hops]["pps"], r[second][1]["pps"], hops)
                               - hop_cost(r[first][hops]["pps"], r[first][1]["pps"], hops) for r in rounds])
                medians[f"hop_cost_diff:{hops}"] = diff
                line += (f", per-hop cost {diff['median'] * 100:+.0f} points ({diff['min'] * 100:+.0f} to "
                         f"{diff['max'] * 100:+.0f})")
            print(line)
    return medians


def label(image: str, how: str, placements: list[str], slots: int, sizes: list[int]) -> str:
    """A variant's name: the image's, and its placement's and ring size's when more than one is compared."""
    return Path(image).stem + (f"@{how}" if len(placements) > 1 else "") + (f"/{slots}" if len(sizes) > 1 else "")


def loadavg() -> str:
    with open("/proc/loadavg") as load:
        return " ".join(load.read().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default="forward", help="comma-separated: built-in names or paths to ELF files")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--placements", default="auto", help="comma-separated: auto (the planner's: unpinned on "
                        "a 2-core host), split (each half of the chain on a core of its own)")
    parser.add_argument("--ring-slots", default=str(DEFAULT_SLOTS), help="comma-separated ring sizes (every "
                        "node's ring_slots: a power of two, 2..4096)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    placements = args.placements.split(",")
    if unknown := set(placements) - set(PLACEMENTS):
        parser.error(f"--placements: unknown {', '.join(sorted(unknown))} (known: {', '.join(PLACEMENTS)})")
    sizes = [int(n) for n in args.ring_slots.split(",")]
    variants = {label(image, how, placements, slots, sizes): (image, how, slots)
                for image in args.images.split(",") for how in placements for slots in sizes}
    names = list(variants)
    rounds: list[dict] = []
    load_before = loadavg()
    print(f"load average before the run: {load_before}", flush=True)
    with tempfile.TemporaryDirectory(prefix="tbbench-hops-") as tmp:
        for r in range(args.repeats):
            row: dict = {name: {} for name in names}
            for hops in HOPS:
                for name in (names if r % 2 == 0 else names[::-1]):
                    image, how, slots = variants[name]
                    row[name][hops] = chain(chain_topology(Path(tmp), hops, image, args.seconds, how, slots), hops)
            rounds.append(row)
            print(f"round {r + 1}: " + "; ".join(f"{name} " + ", ".join(
                f"x{h} {row[name][h]['pps']:,.0f}" for h in HOPS) for name in names), flush=True)
    load_after = loadavg()
    print(f"load average after the run: {load_after}")
    medians = report(rounds, names)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"bench": "hops", "variants": variants, "load_before": load_before,
                                         "load_after": load_after, "rounds": rounds, "medians": medians}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
