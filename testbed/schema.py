"""schema: the topology file format as frozen pydantic v2 models (node kinds are a discriminated union)."""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal, NamedTuple, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

IO_MODES = ("hypercall", "poll", "event", "hybrid")
NAME_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,30}$"
MAC_RE = r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"
ENDPOINT_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,30}:.+$"  # NODE:IFNAME; the static checks judge IFNAME per node kind
RATE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)?$", re.IGNORECASE)
MEMORY_MIN_MIB = 4
MEMORY_MAX_MIB = 3072
# Added to any error about these fields: pydantic's own words don't say the unit or the form.
FIELD_HINTS = {
    "memory": f"memory is in MiB, from {MEMORY_MIN_MIB} to {MEMORY_MAX_MIB}, e.g. memory: 32",
    "endpoints": "a link joins exactly two endpoints NODE:IFNAME, e.g. [host:eth0, guest:service0]; "
                 "to join more, use a bridge node",
}


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


class EndpointRef(NamedTuple):
    node: str
    ifname: str


def split_endpoint(text: str) -> EndpointRef:
    node, _, ifname = text.partition(":")
    return EndpointRef(node, ifname)


def _endpoint_text(value: object) -> object:
    """`[host: eth0, ...]` (a space after the colon) reads as a mapping in YAML: say so."""
    if isinstance(value, dict) and len(value) == 1:
        (node, ifname), = value.items()
        raise ValueError(f"YAML read this as a mapping {{{node}: {ifname}}}: write {node}:{ifname} "
                         "with no space after the colon")
    return value


def _interface_with_prefix(value: str) -> str:
    ipaddress.ip_interface(value)
    if "/" not in value:
        raise ValueError(f"address {value!r} needs a prefix length, e.g. {value}/24")
    return value


Address = Annotated[str, AfterValidator(_interface_with_prefix), Field(description="ADDR/PREFIX")]
# The pattern before the BeforeValidator, or pydantic leaves it out of the JSON Schema.
Endpoint = Annotated[str, Field(pattern=ENDPOINT_RE, description="NODE:IFNAME"), BeforeValidator(_endpoint_text)]


class NetnsNode(Strict):
    """A Linux host: its own network namespace that runs commands and traffic tools."""

    kind: Literal["netns"]
    sysctls: dict[str, str | int] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list, description="shell commands run in the node after up")


class UnikernelNode(Strict):
    """A guest ELF run by the testbed monitor, in its own namespace."""

    kind: Literal["unikernel"]
    image: str = Field(description="built-in image name (see `testbed images`) or a path to an ELF file, "
                       "relative to the topology file")
    args: list[str] = Field(default_factory=list, description="extra guest arguments")
    memory: int = Field(default=32, ge=MEMORY_MIN_MIB, le=MEMORY_MAX_MIB, description="MiB")
    io: Literal["hypercall", "poll", "event", "hybrid"] = "hypercall"
    macs: dict[str, Annotated[str, Field(pattern=MAC_RE)]] = Field(
        default_factory=dict, description="MAC per guest NIC name")
    gateway: str | None = Field(default=None, description="default gateway passed as --gw")

    @field_validator("image")
    @classmethod
    def _image_beside_topology(cls, value: str, info: ValidationInfo) -> str:
        """A relative path is relative to the topology file (as in containerlab), not to the caller's cwd."""
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is not None and "/" in value and not Path(value).is_absolute():
            return str(Path(base_dir, value))
        return value

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


NODE_MODELS = (NetnsNode, UnikernelNode, BridgeNode)
NODE_KINDS = tuple(get_args(model.model_fields["kind"].annotation)[0] for model in NODE_MODELS)
Node = Annotated[Union[NODE_MODELS], Field(discriminator="kind")]


class Link(Strict):
    """Two endpoints `node:ifname`; the mechanism (veth or TAP) follows from the node kinds."""

    endpoints: tuple[Endpoint, Endpoint]
    subnet: str | None = Field(default=None, description="addresses assigned in endpoint order unless given")
    addresses: tuple[Address | None, Address | None] | None = Field(
        default=None, description="explicit ADDR/PREFIX per endpoint (null to leave one out)")
    mtu: int | None = Field(default=None, ge=68, le=65535)
    rate: str | None = Field(default=None, description="tbf rate limit, e.g. 100mbit")

    @property
    def ends(self) -> tuple[EndpointRef, EndpointRef]:
        return split_endpoint(self.endpoints[0]), split_endpoint(self.endpoints[1])

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_network(value, strict=True)
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
