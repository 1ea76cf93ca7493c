"""run.traffic.tapread: the raw-TAP ceiling: a unikernel node's TAP read by tapread instead of its monitor."""
from __future__ import annotations

from testbed.paths import tool_path
from testbed.run.traffic.base import Runner, TrafficError, per
from testbed.run.traffic.cpu import process_cpu_seconds
from testbed.run.traffic.guest import stop_monitor
from testbed.run.traffic.jsonlines import last_with
from testbed.run.traffic.process import ToolProcess

READY_TIMEOUT_SECONDS = 10.0
LONGEST_RUN_SECONDS = 3600  # tapread needs an end; the scheduler stops it long before


class Tapread(Runner):
    """Same lab, same TAP, same sender: only the reader differs, so the ratio to it isolates the monitor's cost."""

    finite = False

    def start(self) -> None:
        monitor = self.lab.plan.monitor(self.spec.node)
        nic = next((n for n in monitor.nics if n.name == self.spec.nic), None) if monitor else None
        if nic is None:
            raise TrafficError(f"{self.name}: node {self.spec.node} has no NIC {self.spec.nic!r}")
        stop_monitor(self.lab, self.spec.node)  # a TAP has one reader: the guest steps aside
        argv = [str(tool_path("tapread")), f"--tap={nic.tap}", f"--netns={nic.tap_namespace}",
                f"--seconds={LONGEST_RUN_SECONDS}", "--json", *(["--busy"] if self.spec.busy else [])]
        self.process = ToolProcess(argv, ready_marker="ready:")
        self.process.wait_ready(READY_TIMEOUT_SECONDS)
        self.cpu = [None, None]

    def window_started(self) -> None:
        self.cpu[0] = process_cpu_seconds(self.process.pid)

    def window_ended(self) -> None:
        self.cpu[1] = process_cpu_seconds(self.process.pid)

    def result(self, window_s: float) -> dict:
        report = last_with(self.process.lines, "rx_packets")
        if report is None:
            raise TrafficError(f"{self.name}: tapread printed no summary: {self.process.tail()}")
        packets = report["udp_packets"]  # what a UDP sink would count; rx_frames also has ARP and IPv6 chatter
        cpu = self.cpu[1] - self.cpu[0] if None not in self.cpu else None
        return {"rx_packets": packets, "rx_frames": report["rx_packets"], "bytes": report["rx_bytes"],
                "seconds": window_s, "pps": per(packets, window_s), "cpu_s": cpu,
                "cpu_pct": per(cpu, window_s, 100.0), "cpu_us_per_packet": per(cpu, packets, 1e6)}
