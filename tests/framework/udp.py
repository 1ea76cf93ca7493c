"""framework.udp: the one UDP receiver and the one paced UDP sender the tests run inside a namespace."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from framework.netns import TapNamespace, in_ns
from framework.waits import LineReader

RECEIVER_SCRIPT = Path(__file__).with_name("udp_receiver.py")
SENDER_SCRIPT = Path(__file__).with_name("udp_sender.py")
LISTEN_TIMEOUT = 10.0  # a python start inside `ip netns exec` on a loaded host


class UdpReceiver:
    """udp_receiver.py running in a namespace; created once its socket is bound (its "listening" line)."""

    def __init__(self, netns: str, bind: str, port: int, idle: float = 2.0, first_wait: float = 30.0,
                 stop_after: int | None = None):
        argv = [sys.executable, str(RECEIVER_SCRIPT), bind, str(port), f"--idle={idle}", f"--first-wait={first_wait}"]
        argv += [f"--stop-after={stop_after}"] if stop_after is not None else []
        self.proc = subprocess.Popen(in_ns(netns, *argv), stdout=subprocess.PIPE, text=True)
        self.output = LineReader(self.proc.stdout)
        self.output.wait_line("listening", LISTEN_TIMEOUT, "the receiver's socket to be bound")

    def result(self, timeout: float = 40) -> dict:
        """What arrived: waits for the receiver to stop by itself (idle, or its count reached)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"the UDP receiver still ran after {timeout} s: {self.output.rest()}") from None
        lines = self.output.rest()
        assert lines and lines[-1].startswith("{"), f"the UDP receiver printed no result: {lines}"
        return json.loads(lines[-1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def send_udp(tap_ns: TapNamespace, port: int, count: int, size: int, rate: float, blocking: bool = False,
             dst: str | None = None) -> dict:
    """Sends from a socket in the namespace to the guest (or dst); {"sent", "failed", "seconds"}."""
    argv = [sys.executable, str(SENDER_SCRIPT), dst or tap_ns.guest_ip, str(port), str(count), str(size), str(rate)]
    argv += ["--blocking"] if blocking else []
    done = subprocess.run(in_ns(tap_ns.netns, *argv), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
