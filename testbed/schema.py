"""schema: the topology file format as frozen pydantic v2 models (node kinds are a discriminated union)."""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IO_MODES = ("hypercall", "poll", "event", "hybrid")
NAME_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,30}$"
MAC_RE = r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"
RATE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)?$", re.IGNORECASE)
MEMORY_MIN_MIB = 4
MEMORY_MAX_MIB = 3072


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Route(Strict):
    dst: str = Field(description="destination prefix, e.g. 10.1.0.0/24 or default")
    via: str = Field(description="gateway address")

    @field_validator("dst")
    @classmethod
    def _dst(cls, value: str) -> str:
        if value != "default":
            ipaddress.ip_network(value, strict=False)
        return value

    @field_validator("via")
    @classmethod
    def _via(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value


class NetnsNode(Strict):
    """A Linux host: its own network namespace that runs commands and traffic tools."""

    kind: Literal["netns"]
    sysctls: dict[str, str | int] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list, description="shell commands run in the node after up")


class UnikernelNode(Strict):
    """A guest ELF run by the testbed monitor, in its own namespace."""

    kind: Literal["unikernel"]
    image: str = Field(description="built-in image name (see `testbed images`) or a path to an ELF file")
    args: list[str] = Field(default_factory=list, description="extra guest arguments")
    memory: int = Field(default=32, ge=MEMORY_MIN_MIB, le=MEMORY_MAX_MIB, description="MiB")
    io: Literal["hypercall", "poll", "event", "hybrid"] = "hypercall"
    macs: dict[str, Annotated[str, Field(pattern=MAC_RE)]] = Field(
        default_factory=dict, description="MAC per guest NIC name")
    gateway: str | None = Field(default=None, description="default gateway passed as --gw")

    @field_validator("gateway")
    @classmethod
    def _gateway(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_address(value)
        return value


class BridgeNode(Strict):
    """An L2 segment that links can end on."""

    kind: Literal["bridge"]
    subnet: str | None = Field(default=None, description="addresses for endpoints on this bridge")

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_network(value, strict=True)
        return value


Node = Annotated[Union[NetnsNode, UnikernelNode, BridgeNode], Field(discriminator="kind")]


class Link(Strict):
    """Two endpoints `node:ifname`; the mechanism (veth or TAP) follows from the node kinds."""

    endpoints: tuple[str, str]
    subnet: str | None = Field(default=None, description="addresses assigned in endpoint order unless given")
    addresses: tuple[str | None, str | None] | None = Field(
        default=None, description="explicit ADDR/PREFIX per endpoint (null to leave one out)")
    mtu: int | None = Field(default=None, ge=68, le=65535)
    rate: str | None = Field(default=None, description="tbf rate limit, e.g. 100mbit")

    @field_validator("endpoints")
    @classmethod
    def _endpoints(cls, value: tuple[str, str]) -> tuple[str, str]:
        for endpoint in value:
            node, sep, ifname = endpoint.partition(":")
            if not sep or not re.match(NAME_RE, node) or not ifname:
                raise ValueError(f"endpoint {endpoint!r} is not NODE:IFNAME")
        return value

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_network(value, strict=True)
        return value

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value):
        for address in value or ():
            if address is not None:
                ipaddress.ip_interface(address)
                if "/" not in address:
                    raise ValueError(f"address {address!r} needs a prefix length, e.g. {address}/24")
        return value

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None and not RATE_RE.match(value):
            raise ValueError(f"rate {value!r} is not NUMBER[bit|kbit|mbit|gbit]")
        return value


class PingCheck(Strict):
    from_: str = Field(alias="from")
    to: str
    count: int = Field(default=10, ge=1)
    interval: float = Field(default=0.01, gt=0, description="seconds between pings")
    size: int = Field(default=56, ge=0, le=65507)
    max_loss: float = Field(default=0, ge=0, le=100, description="percent")
    max_rtt_ms: float | None = Field(default=None, gt=0, description="bound on the median round trip")
    timeout: float = Field(default=10, gt=0, description="seconds")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Check(Strict):
    """One check; exactly one kind key is set."""

    ping: PingCheck | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a check has exactly one kind, one of: {', '.join(type(self).model_fields)}")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)

    @property
    def spec(self):
        return getattr(self, self.kind)


class Topology(Strict):
    name: str = Field(pattern=NAME_RE)
    nodes: dict[Annotated[str, Field(pattern=NAME_RE)], Node]
    links: list[Link] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)

    @field_validator("nodes")
    @classmethod
    def _some_nodes(cls, value):
        if not value:
            raise ValueError("a topology needs at least one node")
        return value


def json_schema() -> dict:
    schema = Topology.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "testbed topology"
    return schema
