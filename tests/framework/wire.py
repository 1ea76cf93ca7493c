"""framework.wire: sequence-numbered UDP flows across a lab's impaired link, and the relay's counters."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from framework.netns import in_ns
from framework.waits import LineReader
from testbed.apply import relay

RECEIVER = Path(__file__).with_name("seq_receiver.py")
SENDER = Path(__file__).with_name("udp_sender.py")
PORT = 5201


def static_neighbours(lab, a: str, b: str) -> None:
    """Each side knows the other's MAC: no ARP on the wire, so only the flow's own packets meet the impairment."""
    for src, dst in ((a, b), (b, a)):
        address = lab.address(dst, towards=src)
        ifname = next(i.name for i in lab.plan.node(src).interfaces if i.peer.node == dst)
        peer_if = next(i.name for i in lab.plan.node(dst).interfaces if i.peer.node == src)
        mac = _run(lab, dst, ["cat", f"/sys/class/net/{peer_if}/address"]).strip()
        _run(lab, src, ["ip", "neigh", "replace", address, "lladdr", mac, "dev", ifname, "nud", "permanent"])


def _run(lab, node: str, argv: list[str]) -> str:
    done = lab.exec(node, argv, timeout=10)
    assert done.returncode == 0, f"{argv}: {done.stderr}"
    return done.stdout


def flow(lab, src: str, dst: str, count: int, size: int = 64, rate: float = 2000.0, idle: float = 1.5,
         during=None) -> dict:
    """COUNT datagrams src -> dst at RATE/s; {"seqs", "arrivals"} as received, "times" as sent.
    during(): called once the sender runs (e.g. to change the link meanwhile)."""
    receiver = subprocess.Popen(in_ns(lab.plan.node(dst).namespace, sys.executable, str(RECEIVER), "0.0.0.0",
                                      str(PORT), f"--idle={idle}"), stdout=subprocess.PIPE, text=True)
    try:
        output = LineReader(receiver.stdout)
        output.wait_line("listening", 10, "the receiver to listen")
        sender = subprocess.Popen(in_ns(lab.plan.node(src).namespace, sys.executable, str(SENDER),
                                        lab.address(dst, towards=src), str(PORT), str(count), str(size), str(rate),
                                        "--blocking", "--times"),
                                  stdout=subprocess.PIPE, text=True)
        if during is not None:
            during()
        sent, _ = sender.communicate(timeout=count / rate + 60)
        assert sender.returncode == 0, "the sender failed"
        receiver.wait(timeout=60)
        received = output.rest()[-1]
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
    return {**json.loads(received), **json.loads(sent)}


def counters(lab, direction: str = "ab") -> dict:
    return relay.stats(lab.run, lab.plan.relays[0])["directions"][direction]["counters"]
