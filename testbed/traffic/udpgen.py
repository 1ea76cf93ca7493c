"""traffic.udpgen: the built-in sendmmsg UDP generator in a netns node, with a static neighbour entry for guests."""
from __future__ import annotations

from testbed.paths import tool_path
from testbed.traffic.base import Runner, TrafficError, target_address
from testbed.traffic.jsonlines import last_with
from testbed.traffic.neighbours import pin_guest_neighbour
from testbed.traffic.process import ToolProcess

SLACK_SECONDS = 30.0


class Udpgen(Runner):
    def start(self) -> None:
        spec = self.spec
        node = self.lab.plan.node(spec.from_)
        address = target_address(self.lab, spec.from_, spec.to)
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
        limit = (self.spec.seconds or 0) + SLACK_SECONDS + (self.spec.count or 0) / 1000
        self.status = self.process.wait(limit)

    def stop(self) -> None:
        if hasattr(self, "process"):
            self.process.stop()

    def result(self, window_s: float) -> dict:
        report = last_with(self.process.lines, "sent_packets")
        if report is None:
            raise TrafficError(f"{self.name}: udpgen printed no summary (exit {self.process.proc.returncode}): "
                               f"{self.process.tail()}")
        return {"sent_packets": report["sent_packets"], "errors": report["errors"], "seconds": report["seconds"],
                "pps": report["pps"], "frame_bits_per_second": report["frame_bits_per_second"],
                "exit_status": self.process.proc.returncode}
