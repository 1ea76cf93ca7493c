"""run.traffic.counters: a netns node's interface counters (what a guest's frames did to the host kernel)."""
from __future__ import annotations

from testbed.apply import nsenter
from testbed.run.traffic.base import Runner, TrafficError, per

COUNTERS = ("rx_packets", "rx_bytes", "rx_dropped", "tx_packets", "tx_bytes", "tx_dropped")


def read_counters(namespace: str, ifname: str) -> dict:
    from pyroute2 import IPRoute

    def read() -> dict:
        with IPRoute() as ipr:
            found = ipr.link_lookup(ifname=ifname)
            if not found:
                raise TrafficError(f"{namespace}: no interface {ifname!r}")
            stats = ipr.get_links(found[0])[0].get_attr("IFLA_STATS64")
            return {key: stats[key] for key in COUNTERS}

    return nsenter.call_in(namespace, read)


class Counters(Runner):
    """A receiver that starts nothing: counts since the interface was created, and within the traffic window."""

    finite = False

    def start(self) -> None:
        self.namespace = self.lab.plan.node(self.spec.node).namespace
        self.ifname = self.spec.interface  # inside a node's own namespace the kernel name is the topology's
        self.first = self.last = read_counters(self.namespace, self.ifname)

    def window_started(self) -> None:
        self.first = read_counters(self.namespace, self.ifname)

    def window_ended(self) -> None:
        self.last = read_counters(self.namespace, self.ifname)

    def result(self, window_s: float) -> dict:
        window_rx = self.last["rx_packets"] - self.first["rx_packets"]
        return {**self.last, "window_rx_packets": window_rx, "seconds": window_s, "pps": per(window_rx, window_s)}
