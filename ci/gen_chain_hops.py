#!/usr/bin/env python3
"""ci/gen_chain_hops.py: writes experiments/chain-hops.yaml (guest -> guest UDP through 1-8 forwarders) and
experiments/chain-hops-rtt.yaml (netns ping through them), each variant a hop count x link type (x frame size).

A sweep changes fields, not the number of nodes, so every variant has all eight forwarders: the first K carry the
traffic and the other 8-K are wired in a closed ring of their own (every NIC attached, no traffic, asleep in event
mode). Every variant then has nine links, and a variant is one `links:` list plus the frame size (`baselines:`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

FORWARDERS = 8
REPO = Path(__file__).resolve().parents[1]
FRAMES = {64: 22, 1300: 1258}  # Ethernet frame bytes -> UDP payload bytes


def links(hops: int, link_type: str, first: str, last: str) -> list[str]:
    """`first` -- r1 -- ... -- r<hops> -- `last`, then the idle ring of the other forwarders."""
    live = [(first, "r1:net0", "10.40.0.0/30")]
    live += [(f"r{i}:net1", f"r{i + 1}:net0", f"10.40.{i}.0/30") for i in range(1, hops)]
    live.append((f"r{hops}:net1", last, "10.40.9.0/30"))
    idle = list(range(hops + 1, FORWARDERS + 1))
    ring = [(f"r{j}:net1", f"r{idle[(n + 1) % len(idle)]}:net0", f"10.41.{j}.0/30") for n, j in enumerate(idle)]
    if len(idle) == 1:  # a link cannot join a node to itself: the lone idle forwarder's NICs meet on a bridge
        ring = [(f"r{idle[0]}:net0", "idle:p0", None), (f"r{idle[0]}:net1", "idle:p1", None)]
    kind = f", type: {link_type}" if link_type else ""
    return [f"{{endpoints: [{a}, {b}], subnet: {subnet}{kind}}}" if subnet else f"{{endpoints: [{a}, {b}]}}"
            for a, b, subnet in live + ring]


def forwarders() -> list[str]:
    return [*(f"  r{i}: {{kind: unikernel, image: forward, io: event, memory: 16}}" for i in range(1, FORWARDERS + 1)),
            "  idle: {kind: bridge, subnet: 10.41.0.0/29}   # the lone idle forwarder's NICs meet here when seven carry the traffic"]


def udp(header: str) -> str:
    lines = [header, "name: chain-hops", "nodes:",
             "  src: {kind: unikernel, image: udp-source, io: event, memory: 16, gateway: 10.40.0.2,",
             "        args: [--dst=10.40.9.2:5000, --size=1258, --seconds=3]}",
             "  dst: {kind: unikernel, image: udp-sink, io: event, memory: 16, args: [--seconds=2]}",
             *forwarders(), "links:"]
    lines += [f"  - {link}" for link in links(FORWARDERS, "shm", "src:service0", "dst:service0")]
    lines += ["traffic:",
              "  - {name: sink, app: {node: dst, finishes: true, timeout: 30}}   # counts 2 s from its first datagram",
              "  - {name: source, app: {node: src, finishes: true, timeout: 30}}",
              "checks:", "  - delivered: {from: source, to: sink, min_packets: 1000}",
              "sweep:", "  repeat: 3", "  warmup: 1", "  baseline: h1-tap-1300",
              ("  metrics: [sink.pps, sink.exits_per_packet, sink.cpu_us_per_packet, source.pps, "
               "source.exits_per_packet]"),
              "  primary: sink.pps", "  baselines:"]
    for hops in range(1, FORWARDERS + 1):
        for link_type in ("shm", "tap"):
            for frame, payload in FRAMES.items():
                lines += [f"    h{hops}-{link_type}-{frame}:",
                          f"      nodes.src.args: [--dst=10.40.9.2:5000, --size={payload}, --seconds=3]",
                          "      links:"]
                lines += [f"        - {link}" for link in links(hops, link_type, "src:service0", "dst:service0")]
    return "\n".join(lines) + "\n"


def rtt(header: str) -> str:
    lines = [header, "name: chain-hops-rtt", "nodes:",
             "  a: {kind: netns, routes: [{dst: 10.40.0.0/16, via: 10.40.0.2}]}",
             "  b: {kind: netns, routes: [{dst: 10.40.0.0/16, via: 10.40.9.1}]}", *forwarders(), "links:"]
    lines += [f"  - {link}" for link in links(FORWARDERS, "", "a:eth0", "b:eth0")]
    lines += ["traffic:", "  - {name: rtt, ping: {from: a, to: b, count: 500, interval: 0.002}}",
              "sweep:", "  repeat: 3", "  warmup: 1", "  baseline: h1-tap",
              "  metrics: [rtt.rtt_p50_ms, rtt.rtt_p99_ms, rtt.loss_percent]", "  primary: rtt.rtt_p50_ms",
              "  baselines:"]
    for hops in range(1, FORWARDERS + 1):
        for link_type in ("shm", "tap"):
            lines += [f"    h{hops}-{link_type}:", "      links:"]
            # The netns ends always meet r1 and r<hops> over TAPs; the type applies between forwarders.
            chain = links(hops, link_type, "a:eth0", "b:eth0")
            lines += [f"        - {link.replace(f', type: {link_type}', '') if 'eth0' in link else link}"
                      for link in chain]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "experiments")
    out = parser.parse_args().out
    header = "# generated by ci/gen_chain_hops.py (edit that, not this): every variant is a hop count x link type"
    (out / "chain-hops.yaml").write_text(
        udp(header + " x frame size;\n# guest -> guest UDP through the forwarders (1300-B and 64-B frames)"))
    (out / "chain-hops-rtt.yaml").write_text(rtt(header + ";\n# ping from netns a to netns b through them"))


if __name__ == "__main__":
    main()
