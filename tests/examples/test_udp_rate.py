"""Example: a UDP transfer over a link with `rate: 20mbit` arrives at about 20 Mbit/s, while the same transfer
without the limit runs several times faster (so it is the shaper, not the sender, that sets the rate)."""
import json
import sys
import threading
import time
from pathlib import Path

BLAST = str(Path(__file__).with_name("udp_blast.py"))
LIMIT_BITS = 20e6  # the topology's `rate: 20mbit`
PAYLOAD = 1400
WIRE_OVERHEAD = 14 + 20 + 8  # Ethernet, IPv4, UDP headers: tbf shapes whole frames


def transfer(lab, seconds: float = 1.5) -> float:
    """Send UDP as fast as the socket allows from sender to receiver; the received wire rate in bit/s."""
    received = {}
    receiver = threading.Thread(target=lambda: received.update(
        done=lab.exec("receiver", [sys.executable, BLAST, "recv", "5001", "0.5"], timeout=60)))
    receiver.start()
    time.sleep(0.3)  # let it bind (a datagram lost before that would only shorten the measurement)
    sent = lab.exec("sender", [sys.executable, BLAST, "send", lab.address("receiver"), "5001", str(seconds),
                               str(PAYLOAD)], timeout=30)
    receiver.join()
    assert sent.returncode == 0 and received["done"].returncode == 0, sent.stderr + received["done"].stderr
    got = json.loads(received["done"].stdout)
    assert got["packets"] > 100, got
    return got["packets"] * (PAYLOAD + WIRE_OVERHEAD) * 8 / got["seconds"]


def test_udp_transfer_is_shaped_to_the_link_rate(testbed_lab):
    with testbed_lab("topologies/rate-limited.yaml") as lab:
        shaped = transfer(lab)
    with testbed_lab("topologies/rate-limited.yaml", set={"links.0.rate": None}) as lab:
        unshaped = transfer(lab)
    assert 0.85 * LIMIT_BITS < shaped < 1.05 * LIMIT_BITS, f"{shaped / 1e6:.2f} Mbit/s over a 20 Mbit/s link"
    assert unshaped > 3 * LIMIT_BITS, f"unshaped only {unshaped / 1e6:.1f} Mbit/s: the limit was not what mattered"
