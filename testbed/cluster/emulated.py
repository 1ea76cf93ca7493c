"""cluster.emulated: hosts on one machine, for tests and benchmarks of labs that span hosts: one network namespace
per host, joined by an underlay bridge in a namespace of its own; each host's agent starts through an execnet popen
gateway whose python enters the host's namespace first (cluster.netns_python) and keeps its runs in the host's own
state directory, so ownership, `down --all` and leases behave per host as on separate machines."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from pyroute2 import NetNS, netns

UNDERLAY_NET = "198.18.{}.0/24"  # the benchmarking range (RFC 2544): never a real network's


@dataclass
class EmulatedHosts:
    tag: str  # unique per test: names every namespace
    state_base: Path
    names: list[str]
    underlay_octet: int = 77
    created: list[str] = field(default_factory=list)

    @property
    def underlay_ns(self) -> str:
        return f"tbh-{self.tag}-ul"

    def namespace(self, host: str) -> str:
        return f"tbh-{self.tag}-{host}"

    def underlay(self, host: str) -> str:
        return f"198.18.{self.underlay_octet}.{self.names.index(host) + 1}"

    def state_dir(self, host: str) -> Path:
        return self.state_base / host

    def gateway(self, host: str) -> str:
        python = f"{sys.executable} -m testbed.cluster.netns_python /run/netns/{self.namespace(host)} " \
                 f"{self.state_dir(host)}"
        return f"popen//python={python}"

    def hosts_yaml(self) -> str:
        lines = ["hosts:"]
        for host in self.names:
            lines.append(f"  {host}: {{gateway: \"{self.gateway(host)}\", underlay: {self.underlay(host)}}}")
        return "\n".join(lines) + "\n"

    def create(self) -> EmulatedHosts:
        netns.create(self.underlay_ns)
        self.created.append(self.underlay_ns)
        with NetNS(self.underlay_ns) as ul:
            ul.link("add", ifname="ul", kind="bridge")
            ul.link("set", index=ul.link_lookup(ifname="ul")[0], state="up")
        for index, host in enumerate(self.names):
            self._add_host(host, index)
        return self

    def _add_host(self, host: str, index: int) -> None:
        name = self.namespace(host)
        netns.create(name)
        self.created.append(name)
        self.state_dir(host).mkdir(parents=True, exist_ok=True)
        port = f"p{index}"
        with NetNS(self.underlay_ns) as ul:
            ul.link("add", ifname=port, kind="veth", peer={"ifname": "ul0", "net_ns_fd": name})
            ul.link("set", index=ul.link_lookup(ifname=port)[0], master=ul.link_lookup(ifname="ul")[0], state="up")
        with NetNS(name) as ns:
            link = ns.link_lookup(ifname="ul0")[0]
            ns.addr("add", index=link, address=self.underlay(host), prefixlen=24)
            ns.link("set", index=link, state="up")
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")

    def remove(self) -> None:
        while self.created:
            netns.remove(self.created.pop())
