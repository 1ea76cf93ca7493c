#!/usr/bin/env python3
"""ci/bench_cluster.py: a chain split over emulated hosts (one machine) against the same chain on one host, same run.

`python3 ci/bench_cluster.py --nodes 300 --hosts 3`: up and down wall time, the slowest host's part, the ping
across a tunnel and within a host, and the orchestrator's peak RSS; results as JSON (--json) and a table.
Emulated hosts are namespaces on an underlay bridge (testbed.cluster.emulated), so the figures show what the
orchestration costs, not a real network's latency.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def chain_yaml(nodes: int, hosts: list[str] | None, hosts_yaml: str = "") -> str:
    sys.path.insert(0, str(HERE))
    from gen_chain import chain

    text = chain(nodes, "xchain", None)
    if not hosts:
        return text
    block = -(-nodes // len(hosts))  # contiguous blocks: len(hosts) - 1 links cross
    lines = [line if not line.startswith("  n") or "kind: netns" not in line else
             line.replace("{kind: netns}", f"{{kind: netns, host: {hosts[int(line.split(':')[0][3:]) // block]}}}")
             for line in text.splitlines()]
    return hosts_yaml + "\n".join(lines) + "\n"


def measure(path: Path, prefix: str, crossing: tuple[str, str] | None) -> dict:
    from testbed.lab import Lab

    started = time.monotonic()
    lab = Lab.up(path, name_prefix=prefix)
    up_s = time.monotonic() - started
    try:
        pings = {"within": _rtt(lab, "n0", "n1")}
        if crossing:
            pings["across"] = _rtt(lab, *crossing)
    finally:
        started = time.monotonic()
        problems = lab.down()
        down_s = time.monotonic() - started
    if problems:
        raise RuntimeError("; ".join(problems))
    return {"up_s": up_s, "down_s": down_s, "phases": dict(lab.timings.phases), "rtt_median_ms": pings}


def _rtt(lab, src: str, dst: str) -> float | None:
    result = lab.check({"ping": {"from": src, "to": dst, "count": 20, "interval": 0.01}})
    return result.measured.get("rtt_median_ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from testbed.cluster.emulated import EmulatedHosts

    names = [f"h{i + 1}" for i in range(args.hosts)]
    block = -(-args.nodes // args.hosts)
    crossing = (f"n{block - 1}", f"n{block}")
    with tempfile.TemporaryDirectory(prefix="tbcluster-") as tmp:
        hosts = EmulatedHosts(f"bench{int(time.time()) % 10000}", Path(tmp) / "hosts", names).create()
        try:
            single, spread = Path(tmp) / "single.yaml", Path(tmp) / "spread.yaml"
            single.write_text(chain_yaml(args.nodes, None))
            spread.write_text(chain_yaml(args.nodes, names, hosts.hosts_yaml()))
            os.environ["TESTBED_STATE_DIR"] = str(Path(tmp) / "local")
            rows = {"one host": measure(single, "tbbench", None),
                    f"{args.hosts} hosts": measure(spread, "tbbench", crossing)}
        finally:
            hosts.remove()
    result = {"bench": "cluster", "nodes": args.nodes, "hosts": args.hosts, "rows": rows,
              "orchestrator_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print(f"{'lab':<10} {'up s':>7} {'down s':>7}  rtt ms (within / across)")
    for name, row in rows.items():
        rtt = row["rtt_median_ms"]
        print(f"{name:<10} {row['up_s']:7.2f} {row['down_s']:7.2f}  {rtt['within']} / {rtt.get('across', '-')}")
    print(f"orchestrator peak RSS {result['orchestrator_peak_rss_mib']:.0f} MiB; {args.hosts} hosts' phases: "
          f"{rows[f'{args.hosts} hosts']['phases']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
