"""run.traffic.udpgen: the built-in sendmmsg UDP generator in a netns node, with a static neighbour entry for guests."""
from __future__ import annotations

import re

from testbed.paths import tool_path
from testbed.run.traffic.base import Runner, TrafficError
from testbed.run.traffic.jsonlines import last_with
from testbed.run.traffic.neighbours import pin_guest_neighbour
from testbed.run.traffic.process import ToolProcess

SLACK_SECONDS = 30.0
FRAME_OVERHEAD = 14 + 20 + 8  # Ethernet, IPv4, UDP headers: udpgen's bits/s are whole frames
RATE_RE = re.compile(r"^(\d+(?:\.\d+)?)([kmg]?)(pps|bit|bps)?$", re.IGNORECASE)
SCALE = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}


def packets_per_second(rate: str | int, size: int) -> float | None:
    """The rate udpgen will pace to, in packets/s; None for max (or a form the schema let through unparsed)."""
    match = RATE_RE.match(str(rate).strip())
    if match is None:
        return None
    value = float(match.group(1)) * SCALE[match.group(2).lower()]
    if (match.group(3) or "").lower() in ("bit", "bps"):
        return value / (8 * (size + FRAME_OVERHEAD))
    return value


def expected_seconds(spec) -> float:
    """How long the flood should take: its seconds, else count at its rate (a max-rate count is quick)."""
    if spec.seconds is not None:
        return spec.seconds
    pps = packets_per_second(spec.rate, spec.size)
    return spec.count / pps if pps else spec.count / 100_000


class Udpgen(Runner):
    def start(self) -> None:
        spec = self.spec
        node = self.lab.plan.node(spec.from_)
        address = self.lab.target_address(spec.to, towards=spec.from_)
        # A guest's MAC is known from the plan: pinning it means no ARP exchange at the start of a flood
        # (packets queued behind it are dropped) and a reader without ARP (the raw-TAP ceiling) still receives.
        pin_guest_neighbour(self.lab, spec.from_, spec.to, address)
        argv = [str(tool_path("udpgen")), f"--dst={address}:{spec.port}", f"--size={spec.size}",
                f"--rate={spec.rate}", f"--gso={spec.gso}", f"--batch={max(spec.batch, spec.gso)}", "--json"]
        if spec.seconds is not None:
            argv.append(f"--seconds={spec.seconds:g}")
        if spec.count is not None:
            argv.append(f"--count={spec.count}")
        self.process = ToolProcess(argv, node.namespace)

    def wait(self) -> None:
        self.status = self.process.wait(expected_seconds(self.spec) + SLACK_SECONDS)

    def result(self, window_s: float) -> dict:
        report = last_with(self.process.lines, "sent_packets")
        if report is None:
            raise TrafficError(f"{self.name}: udpgen printed no summary (exit {self.process.proc.returncode}): "
                               f"{self.process.tail()}")
        return {"sent_packets": report["sent_packets"], "errors": report["errors"], "seconds": report["seconds"],
                "pps": report["pps"], "frame_bits_per_second": report["frame_bits_per_second"],
                "exit_status": self.process.proc.returncode}
