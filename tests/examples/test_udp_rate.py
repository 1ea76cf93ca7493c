"""Example: a UDP transfer over a link with `rate: 20mbit` arrives at about 20 Mbit/s, while the same transfer
without the limit runs several times faster (so it is the shaper, not the sender, that sets the rate).

The rate is what the receiver's interface counted over the sender's sending time: kernel counters, so a receiving
process that the scheduler starves on a busy CI machine cannot distort it."""
import json
import sys
from pathlib import Path

from framework.waits import wait_for

BLAST = str(Path(__file__).with_name("udp_blast.py"))
LIMIT_BITS = 20e6  # the topology's `rate: 20mbit`
DRAIN_TIMEOUT = 2.0  # the shaper's queue holds ~50 ms of traffic; it empties soon after the sender stops


def rx_bytes(lab, node: str) -> int:
    stats = json.loads(lab.exec(node, ["ip", "-s", "-j", "link", "show", "dev", "eth0"]).stdout)
    return stats[0]["stats64"]["rx"]["bytes"]


def queued_bytes(lab, node: str) -> int:
    """What the qdiscs on node's eth0 still hold (the shaper's backlog; 0 without a shaper)."""
    qdiscs = json.loads(lab.exec(node, ["tc", "-s", "-j", "qdisc", "show", "dev", "eth0"]).stdout)
    return sum(qdisc.get("backlog", 0) for qdisc in qdiscs)


def transfer(lab, seconds: float = 1.5) -> float:
    """Send UDP as fast as the socket allows from sender to receiver; the rate at the receiver in bit/s."""
    before = rx_bytes(lab, "receiver")
    sent = lab.exec("sender", [sys.executable, BLAST, lab.address("receiver"), "5001", str(seconds), "1400"],
                    timeout=30)
    assert sent.returncode == 0, sent.stderr
    wait_for(lambda: queued_bytes(lab, "sender"), DRAIN_TIMEOUT, "the sender's shaper queue to drain",
             until=lambda backlog: backlog == 0)
    return (rx_bytes(lab, "receiver") - before) * 8 / json.loads(sent.stdout)["seconds"]


def test_udp_transfer_is_shaped_to_the_link_rate(testbed_lab):
    with testbed_lab("topologies/rate-limited.yaml") as lab:
        shaped = transfer(lab)
    with testbed_lab("topologies/rate-limited.yaml", set={"links.0.rate": None}) as lab:
        unshaped = transfer(lab)
    assert 0.85 * LIMIT_BITS < shaped < 1.1 * LIMIT_BITS, f"{shaped / 1e6:.2f} Mbit/s over a 20 Mbit/s link"
    assert unshaped > 3 * LIMIT_BITS, f"unshaped only {unshaped / 1e6:.1f} Mbit/s: the limit was not what mattered"
