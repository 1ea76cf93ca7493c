"""topology.schema.hosts: the machines a lab spans (`hosts:`), each reached by its agent's execnet gateway."""
from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from testbed.topology.schema.common import NAME_RE, Strict

UNDERLAY_MTU_MIN = 1280  # IPv6's minimum: below it a VXLAN underlay leaves too little for the links
VXLAN_OVERHEAD = {4: 50, 6: 70}  # outer IP + UDP + VXLAN + inner Ethernet header, by underlay IP version


class Host(Strict):
    """A machine that runs the nodes whose `host:` names it; its agent is reached through an execnet gateway."""

    ssh: str | None = Field(default=None, description="ssh destination, e.g. root@lab2 (an execnet ssh= gateway)")
    gateway: str | None = Field(default=None, description="a whole execnet gateway spec instead of ssh, e.g. "
                                "popen//python=python3 (tests emulate hosts this way)")
    python: str = Field(default="python3", description="the interpreter on the host that has testbed installed")
    underlay: str = Field(description="the host's address on the underlay network: VXLAN tunnels of links "
                          "that cross hosts run between these addresses")
    underlay_mtu: int = Field(default=1500, ge=UNDERLAY_MTU_MIN, le=65535,
                              description="MTU of the underlay path; links that cross hosts get what remains after "
                              "the VXLAN header (50 bytes over IPv4, 70 over IPv6)")

    @field_validator("underlay")
    @classmethod
    def _underlay(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> Host:
        if (self.ssh is None) == (self.gateway is None):
            raise ValueError("give exactly one of ssh (user@machine) or gateway (an execnet spec)")
        return self

    def gateway_spec(self) -> str:
        """The execnet spec that starts this host's agent."""
        if self.gateway is not None:
            return self.gateway
        return f"ssh={self.ssh}//python={self.python}"


def tunnel_mtu(a: Host, b: Host) -> int | None:
    """What a VXLAN tunnel between two hosts carries: the smaller underlay MTU less the header; None when their
    underlay addresses are of different IP versions (no tunnel can join them)."""
    versions = {ipaddress.ip_address(host.underlay).version for host in (a, b)}
    if len(versions) != 1:
        return None
    return min(a.underlay_mtu, b.underlay_mtu) - VXLAN_OVERHEAD[versions.pop()]


Hosts = dict[Annotated[str, Field(pattern=NAME_RE)], Host]
HOST_DESCRIPTION = "the host (a name under `hosts:`) that runs this node; every node needs one when hosts are given"
