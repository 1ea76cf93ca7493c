"""topology.schema.links: a link between two NODE:IFNAME endpoints (parsed into EndpointRef), its subnet and addresses."""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal, NamedTuple

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, field_validator

from testbed.topology.schema.capture import CaptureField
from testbed.topology.schema.common import Strict, optional_subnet
from testbed.topology.schema.impair import LinkImpairment

ENDPOINT_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,30}:.+$"  # NODE:IFNAME; the static checks judge IFNAME per node kind
RATE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)?$", re.IGNORECASE)


class EndpointRef(NamedTuple):
    """A link endpoint, parsed once from its NODE:IFNAME text (and written back as that text)."""

    node: str
    ifname: str

    def __str__(self) -> str:
        return f"{self.node}:{self.ifname}"


def split_endpoint(text: str) -> EndpointRef:
    node, _, ifname = text.partition(":")
    return EndpointRef(node, ifname)


def _endpoint_from_text(value: object) -> object:
    return split_endpoint(value) if isinstance(value, str) else value


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
# Checked as text (the pattern and the YAML-mapping hint keep their messages), then parsed into an EndpointRef.
Endpoint = Annotated[str, Field(pattern=ENDPOINT_RE, description="NODE:IFNAME"), BeforeValidator(_endpoint_text),
                     AfterValidator(split_endpoint), PlainSerializer(str, return_type=str)]
# An endpoint already checked (the Plan's peers): NODE:IFNAME text in JSON, an EndpointRef in Python.
EndpointField = Annotated[EndpointRef, BeforeValidator(_endpoint_from_text), PlainSerializer(str, return_type=str)]


class Link(Strict):
    """Two endpoints `node:ifname`; the mechanism (veth or TAP) follows from the node kinds."""

    endpoints: tuple[Endpoint, Endpoint] = Field(description="the two ends, NODE:IFNAME each")
    subnet: str | None = Field(default=None, description="addresses assigned in endpoint order unless given")
    addresses: tuple[Address | None, Address | None] | None = Field(
        default=None, description="explicit ADDR/PREFIX per endpoint (null to leave one out)")
    mtu: int | None = Field(default=None, ge=68, le=65535, description="bytes, both ends (default: the kernel's 1500)")
    rate: str | None = Field(default=None, description="tbf rate limit, e.g. 100mbit")
    impair: LinkImpairment | None = Field(
        default=None, description="loss, delay, jitter, rate, reorder, ... through a relay between kernel interfaces, "
        "or by the monitor of a unikernel end (docs/impairments.md)")
    capture: CaptureField = Field(default=None, description="capture one end into pcapng (`true` for the defaults)")
    type: Literal["shm", "tap"] | None = Field(
        default=None, description="between two unikernels: shm (shared-memory rings, no kernel; the default when "
        "both use io poll, event or hybrid and the link has no rate; impair or capture then pass a monitor's IO thread) "
        "or tap (TAPs on a bridge)")

    @property
    def ends(self) -> tuple[EndpointRef, EndpointRef]:
        """The typed endpoints (the same objects as `endpoints`, which the schema parses)."""
        return self.endpoints

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        return optional_subnet(value)

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None and not RATE_RE.match(value):
            raise ValueError(f"rate {value!r} is not NUMBER[bit|kbit|mbit|gbit]")
        return value

