"""Example: a UDP transfer over a link with `rate: 20mbit` arrives at about 20 Mbit/s, while the same transfer
without the limit runs several times faster (so it is the shaper, not the sender, that sets the rate).

The rate is what the receiver's interface counted over the sender's sending time: kernel counters, so a receiving
process that the scheduler starves on a busy CI machine cannot distort it."""
import json
import sys
import time
from pathlib import Path

BLAST = str(Path(__file__).with_name("udp_blast.py"))
LIMIT_BITS = 20e6  # the topology's `rate: 20mbit`
DRAIN_SECONDS = 0.2  # the shaper's queue (50 ms of traffic) empties after the sender stops


def rx_bytes(lab, node: str) -> int:
    stats = json.loads(lab.exec(node, ["ip", "-s", "-j", "link", "show", "dev", "eth0"]).stdout)
    return stats[0]["stats64"]["rx"]["bytes"]


def transfer(lab, seconds: float = 1.5) -> float:
    """Send UDP as fast as the socket allows from sender to receiver; the rate at the receiver in bit/s."""
    before = rx_bytes(lab, "receiver")
    sent = lab.exec("sender", [sys.executable, BLAST, lab.address("receiver"), "5001", str(seconds), "1400"],
                    timeout=30)
    assert sent.returncode == 0, sent.stderr
    time.sleep(DRAIN_SECONDS)
    return (rx_bytes(lab, "receiver") - before) * 8 / json.loads(sent.stdout)["seconds"]


def test_udp_transfer_is_shaped_to_the_link_rate(testbed_lab):
    with testbed_lab("topologies/rate-limited.yaml") as lab:
        shaped = transfer(lab)
    with testbed_lab("topologies/rate-limited.yaml", set={"links.0.rate": None}) as lab:
        unshaped = transfer(lab)
    assert 0.85 * LIMIT_BITS < shaped < 1.1 * LIMIT_BITS, f"{shaped / 1e6:.2f} Mbit/s over a 20 Mbit/s link"
    assert unshaped > 3 * LIMIT_BITS, f"unshaped only {unshaped / 1e6:.1f} Mbit/s: the limit was not what mattered"
