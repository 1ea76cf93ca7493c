"""run.traffic.iperf3: a one-off iperf3 server in one node, its client in another, TCP or UDP; the client's JSON parsed."""
from __future__ import annotations

import json
import time

from testbed.apply import nsenter
from testbed.run.traffic.base import Runner, TrafficError
from testbed.run.traffic.process import ToolProcess

LISTEN_TIMEOUT_SECONDS = 10.0
TCP_LISTEN = "0A"


def listening(namespace: str, port: int) -> bool:
    """Whether a TCP socket listens on port in the namespace (the control connection is TCP, also for UDP tests)."""
    def read() -> str:
        text = ""
        for name in ("tcp", "tcp6"):
            try:
                with open(f"/proc/thread-self/net/{name}") as f:  # thread-self: this thread's namespace
                    text += f.read()
            except FileNotFoundError:
                continue
        return text

    wanted = f":{port:04X}"
    for line in str(nsenter.call_in(namespace, read)).splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[1].endswith(wanted) and fields[3] == TCP_LISTEN:
            return True
    return False


class Iperf3(Runner):
    def start(self) -> None:
        spec, plan = self.spec, self.lab.plan
        server_ns = plan.node(spec.server).namespace
        self.server = ToolProcess(["iperf3", "-s", "-1", "-p", str(spec.port)], server_ns)
        deadline = time.monotonic() + LISTEN_TIMEOUT_SECONDS
        while not listening(server_ns, spec.port):
            if self.server.proc.poll() is not None or time.monotonic() > deadline:
                self.server.stop()
                raise TrafficError(f"{self.name}: iperf3 server did not listen on port {spec.port}: "
                                   f"{self.server.tail()}")
            time.sleep(0.02)
        argv = ["iperf3", "-c", self.lab.target_address(spec.server, towards=spec.client), "-p", str(spec.port),
                "-t", f"{spec.seconds:g}", "-J"]
        if spec.protocol == "udp":
            argv.append("-u")
        if spec.rate:
            argv += ["-b", spec.rate]
        if spec.length:
            argv += ["-l", str(spec.length)]
        self.client = ToolProcess(argv, plan.node(spec.client).namespace)

    def wait(self) -> None:
        self.client.wait(self.spec.seconds + 30)
        self.server.wait(5)

    def stop(self) -> None:
        for process in (getattr(self, "client", None), getattr(self, "server", None)):
            if process is not None:
                process.stop()

    def result(self, window_s: float) -> dict:
        try:
            report = json.loads("".join(self.client.lines))
        except ValueError:
            raise TrafficError(f"{self.name}: iperf3 client printed no JSON: {self.client.tail()}") from None
        if "error" in report:
            raise TrafficError(f"{self.name}: iperf3: {report['error']}")
        end = report["end"]
        if self.spec.protocol == "tcp":
            received, sent = end["sum_received"], end["sum_sent"]
            return {"bits_per_second": received["bits_per_second"], "sent_bits_per_second": sent["bits_per_second"],
                    "bytes": received["bytes"], "retransmits": sent.get("retransmits"),
                    "seconds": received["seconds"]}
        total = end["sum"]
        received = end.get("sum_received", total)
        return {"bits_per_second": received["bits_per_second"], "sent_packets": total.get("packets"),
                "lost_packets": total.get("lost_packets"), "lost_percent": total.get("lost_percent"),
                "jitter_ms": total.get("jitter_ms"), "seconds": total["seconds"]}
