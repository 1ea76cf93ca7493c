"""bench_lab: a throwaway network namespace with a TAP whose far end answers to a static neighbour entry."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Lab:
    netns: str
    tap: str
    host_ip: str = "10.79.0.1"
    guest_ip: str = "10.79.0.2"
    guest_mac: str = "02:00:00:79:00:02"
    prefix: int = 24

    def run_in(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv]


class lab_namespace:
    """Context manager: creates the namespace (named after our pid, so parallel runs don't collide), removes it."""

    def __init__(self) -> None:
        tag = f"{os.getpid() % 1000000}"
        self.lab = Lab(netns=f"tbbench-{tag}", tap=f"tbb{tag}")

    def __enter__(self) -> "lab_namespace":
        from pyroute2 import NetNS, netns

        netns.create(self.lab.netns)
        try:
            self._configure()
            # One handle for the whole run: opening one forks a helper (~12 ms).
            self._ns = NetNS(self.lab.netns)
        except BaseException:
            netns.remove(self.lab.netns)
            raise
        return self

    def __exit__(self, *exc) -> None:
        from pyroute2 import netns

        self._ns.close()
        netns.remove(self.lab.netns)  # takes the TAP with it

    def tap_counters(self) -> dict:
        """The TAP's transmit counters: frames the host handed to the reader, and those the kernel dropped."""
        link = self._ns.get_links(self._ns.link_lookup(ifname=self.lab.tap)[0])[0]
        stats = link.get_attr("IFLA_STATS64")
        return {"tx_packets": stats["tx_packets"], "tx_dropped": stats["tx_dropped"],
                "rx_packets": stats["rx_packets"]}  # frames written into the TAP (udp-tx)

    def _configure(self) -> None:
        from pyroute2 import NetNS

        lab = self.lab
        # IPv6 chatter (router solicitations, MLD) would land in the receiver's count.
        subprocess.run(lab.run_in(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1",
                                   "net.ipv6.conf.all.disable_ipv6=1"]), check=True)
        with NetNS(lab.netns) as ns:
            ns.link("add", ifname=lab.tap, kind="tuntap", mode="tap")
            index = ns.link_lookup(ifname=lab.tap)[0]
            ns.addr("add", index=index, address=lab.host_ip, prefixlen=lab.prefix)
            ns.link("set", index=index, state="up")
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
            # Static: the ceiling (tapread) cannot answer ARP, and no variant should pay for it.
            ns.neigh("add", dst=lab.guest_ip, lladdr=lab.guest_mac, ifindex=index, state=0x80)
