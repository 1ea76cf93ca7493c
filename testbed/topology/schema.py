"""topology.schema: the topology file format as frozen pydantic v2 models (node kinds are a discriminated union)."""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

# The one list of network IO modes: the schema, the planner's --io= and the generated docs use it, and a test
# holds it equal to the mode table the monitor prints in --help.
IO_MODES = ("hypercall", "poll", "event", "hybrid", "solo5-ring")
IoMode = Literal[IO_MODES]
NAME_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,30}$"
MAC_RE = r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"
ENDPOINT_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,30}:.+$"  # NODE:IFNAME; the static checks judge IFNAME per node kind
RATE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)?$", re.IGNORECASE)
MEMORY_MIN_MIB = 4
MEMORY_MAX_MIB = 4096  # the monitor's limit, as solo5-hvt's
SECTOR_SIZE_MIN, SECTOR_SIZE_MAX = 512, 32768  # the monitor's --block-sector-size range
# Added to any error about these fields: pydantic's own words don't say the unit or the form.
FIELD_HINTS = {
    "memory": f"memory is in MiB, from {MEMORY_MIN_MIB} to {MEMORY_MAX_MIB}, e.g. memory: 32",
    "endpoints": "a link joins exactly two endpoints NODE:IFNAME, e.g. [host:eth0, guest:service0]; "
                 "to join more, use a bridge node",
}


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Route(Strict):
    """A static route in a netns node."""

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

def _optional_subnet(value: str | None) -> str | None:
    """A subnet, when given, is NETWORK/PREFIX with no host bits set (shared by bridges and links)."""
    if value is not None:
        ipaddress.ip_network(value, strict=True)
    return value


def _optional_address(value: str | None) -> str | None:
    """A gateway, when given, is a plain address."""
    if value is not None:
        ipaddress.ip_address(value)
    return value


def _set_kinds(model: BaseModel, kinds) -> list[str]:
    """The kind keys an item has set (one-of-several models: checks, traffic items)."""
    return [name for name in kinds if getattr(model, name) is not None]


def _require_one_kind(model: BaseModel, kinds, what: str) -> None:
    if len(_set_kinds(model, kinds)) != 1:
        raise ValueError(f"{what} has exactly one kind, one of: {', '.join(kinds)}")


Address = Annotated[str, AfterValidator(_interface_with_prefix), Field(description="ADDR/PREFIX")]
# The pattern before the BeforeValidator, or pydantic leaves it out of the JSON Schema.
# Checked as text (the pattern and the YAML-mapping hint keep their messages), then parsed into an EndpointRef.
Endpoint = Annotated[str, Field(pattern=ENDPOINT_RE, description="NODE:IFNAME"), BeforeValidator(_endpoint_text),
                     AfterValidator(split_endpoint), PlainSerializer(str, return_type=str)]
# An endpoint already checked (the Plan's peers): NODE:IFNAME text in JSON, an EndpointRef in Python.
EndpointField = Annotated[EndpointRef, BeforeValidator(_endpoint_from_text), PlainSerializer(str, return_type=str)]


class NetnsNode(Strict):
    """A Linux host: its own network namespace that runs commands and traffic tools."""

    kind: Literal["netns"]
    sysctls: dict[str, str | int] = Field(default_factory=dict, description="net.* sysctls set in the node's "
                                          "namespace, e.g. net.ipv4.ip_forward: 1")
    routes: list[Route] = Field(default_factory=list, description="static routes added after the links are up")
    commands: list[str] = Field(default_factory=list, description="shell commands run in the node after up")


class BlockDevice(Strict):
    """A guest block device: a file the monitor attaches with --block (and --block-sector-size)."""

    path: str = Field(description="backing file, relative to the topology file")
    sector_size: int = Field(default=SECTOR_SIZE_MIN, description="bytes: a power of two, 512..32768")
    create: int | None = Field(default=None, gt=0, description="bytes: create the file this size (zeros) when it "
                               "does not exist; the lab then removes it at down")

    @field_validator("path")
    @classmethod
    def _path_beside_topology(cls, value: str, info: ValidationInfo) -> str:
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is not None and not Path(value).is_absolute():
            return str(Path(base_dir, value))
        return value

    @field_validator("sector_size")
    @classmethod
    def _sector_size(cls, value: int) -> int:
        if not SECTOR_SIZE_MIN <= value <= SECTOR_SIZE_MAX or value & (value - 1):
            raise ValueError(f"a power of two from {SECTOR_SIZE_MIN} to {SECTOR_SIZE_MAX}, e.g. sector_size: 4096")
        return value

    @model_validator(mode="after")
    def _whole_sectors(self) -> "BlockDevice":
        if self.create is not None and self.create % self.sector_size:
            raise ValueError(f"create: {self.create} bytes is not a whole number of {self.sector_size}-byte sectors")
        return self


class UnikernelNode(Strict):
    """A guest ELF run by the testbed monitor, in its own namespace."""

    kind: Literal["unikernel"]
    image: str = Field(description="built-in image name (see `testbed images`) or a path to an ELF file, "
                       "relative to the topology file")
    args: list[str] = Field(default_factory=list, description="extra guest arguments")
    memory: int = Field(default=32, ge=MEMORY_MIN_MIB, le=MEMORY_MAX_MIB, description="MiB")
    io: IoMode = Field(
        default="hypercall", description="how packets cross to the monitor: hypercall (a VM exit per packet), "
        "shmstream rings served by a monitor IO thread that spins (poll), sleeps (event) or both (hybrid), or "
        "Solo5 0.12's own ring for Solo5 guests that use it (solo5-ring)")
    macs: dict[str, Annotated[str, Field(pattern=MAC_RE)]] = Field(
        default_factory=dict, description="MAC per guest NIC name")
    gateway: str | None = Field(default=None, description="default gateway passed as --gw")
    block: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,67}$")], BlockDevice] = Field(
        default_factory=dict, description="block devices by the guest manifest's name")
    auto_args: bool = Field(default=True, description="pass --ip (first addressed NIC) and --gw; false for images "
                            "that take other arguments, e.g. Solo5's own")
    ready: str | None = Field(default=None, min_length=1, description="console text that marks the guest ready "
                              "(default: a line starting with 'ready:'), for images that print no such line")

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
        return _optional_address(value)


class BridgeNode(Strict):
    """An L2 segment that links can end on."""

    kind: Literal["bridge"]
    subnet: str | None = Field(default=None, description="addresses for endpoints on this bridge")

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        return _optional_subnet(value)


NODE_MODELS = (NetnsNode, UnikernelNode, BridgeNode)
NODE_KINDS = tuple(get_args(model.model_fields["kind"].annotation)[0] for model in NODE_MODELS)
Node = Annotated[Union[NODE_MODELS], Field(discriminator="kind")]


class Link(Strict):
    """Two endpoints `node:ifname`; the mechanism (veth or TAP) follows from the node kinds."""

    endpoints: tuple[Endpoint, Endpoint] = Field(description="the two ends, NODE:IFNAME each")
    subnet: str | None = Field(default=None, description="addresses assigned in endpoint order unless given")
    addresses: tuple[Address | None, Address | None] | None = Field(
        default=None, description="explicit ADDR/PREFIX per endpoint (null to leave one out)")
    mtu: int | None = Field(default=None, ge=68, le=65535, description="bytes, both ends (default: the kernel's 1500)")
    rate: str | None = Field(default=None, description="tbf rate limit, e.g. 100mbit")

    @property
    def ends(self) -> tuple[EndpointRef, EndpointRef]:
        """The typed endpoints (the same objects as `endpoints`, which the schema parses)."""
        return self.endpoints

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        return _optional_subnet(value)

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None and not RATE_RE.match(value):
            raise ValueError(f"rate {value!r} is not NUMBER[bit|kbit|mbit|gbit]")
        return value


class PingCheck(Strict):
    """iputils ping from a netns node; passes when loss and round trip are within bounds."""

    from_: str = Field(alias="from", description="a netns node")
    to: str = Field(description="a node (its address facing `from`) or an IP address")
    count: int = Field(default=10, ge=1, description="pings to send")
    interval: float = Field(default=0.01, gt=0, description="seconds between pings")
    size: int = Field(default=56, ge=0, le=65507, description="ICMP payload bytes")
    max_loss: float = Field(default=0, ge=0, le=100, description="percent")
    max_rtt_ms: float | None = Field(default=None, gt=0, description="bound on the median round trip")
    timeout: float = Field(default=10, gt=0, description="seconds")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True)


class FromTo(Strict):
    """Base of specs with a `from` field (a Python keyword, so `from_` in code; `from` when written out)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True)


def _regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:  # not a ValueError: pydantic would let it escape as a crash
        raise ValueError(f"not a regular expression: {exc}") from None


# --- checks beyond ping (judged in testbed.run.checks.*; traffic names refer to `traffic:` items)

class DeliveredCheck(FromTo):
    """Packets a receiver counted, against a sender's count or a number."""

    to: str = Field(description="the receiving traffic item")
    from_: str | None = Field(default=None, alias="from", description="the sending traffic item")
    exact: bool = Field(default=False, description="received == sent (needs from)")
    min_packets: int | None = Field(default=None, ge=0)
    min_ratio: float | None = Field(default=None, ge=0, le=1, description="received / sent >= this (needs from)")

    @model_validator(mode="after")
    def _needs_a_bound(self):
        if not (self.exact or self.min_packets is not None or self.min_ratio is not None):
            raise ValueError("give exact: true, min_packets or min_ratio")
        if (self.exact or self.min_ratio is not None) and self.from_ is None:
            raise ValueError("exact and min_ratio compare with a sender: give from")
        return self


class RxRateCheck(Strict):
    """A receiver's packet rate over its traffic window."""

    traffic: str = Field(description="the receiving traffic item")
    min_pps: float = Field(gt=0, description="received packets per second of the traffic window")


class MonitorCheck(Strict):
    """Bounds on a unikernel monitor's final --stats (the node's monitor must have exited: app traffic stops it)."""

    node: str = Field(description="a unikernel node")
    max_exits_per_packet: float | None = Field(default=None, ge=0, description="VM exits / NIC packets (rx + tx)")
    max_drops: int | None = Field(default=None, ge=0, description="NIC rx + tx drops")

    @model_validator(mode="after")
    def _needs_a_bound(self):
        if self.max_exits_per_packet is None and self.max_drops is None:
            raise ValueError("give max_exits_per_packet or max_drops")
        return self


class ExitStatusCheck(Strict):
    """The status a unikernel guest exited with."""

    node: str = Field(description="a unikernel node")
    equals: int = Field(default=0, description="the guest's exit status (128+N: killed by signal N)")
    timeout: float = Field(default=10, gt=0, description="seconds to wait for the guest to exit")


class ConsoleCheck(Strict):
    """A line of a unikernel's console output."""

    node: str = Field(description="a unikernel node")
    contains: str | None = Field(default=None, description="text a console line must contain")
    matches: str | None = Field(default=None, description="a Python regular expression, searched per line")

    @model_validator(mode="after")
    def _one_pattern(self):
        if (self.contains is None) == (self.matches is None):
            raise ValueError("give exactly one of contains or matches")
        if self.matches is not None:
            _regex(self.matches)
        return self


class CommandCheck(Strict):
    """A shell command run in a netns node, judged by its status and output."""

    node: str = Field(description="a netns node")
    run: str = Field(description="a shell command")
    exit_status: int | None = Field(default=0, description="expected status (null: any)")
    contains: str | None = Field(default=None, description="text its output (stdout + stderr) must contain")
    matches: str | None = Field(default=None, description="a Python regular expression its output must match")
    timeout: float = Field(default=30, gt=0, description="seconds")

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            _regex(value)
        return value


class Check(Strict):
    """One check; exactly one kind key is set."""

    ping: PingCheck | None = Field(default=None, description="reachability and round trip by ping")
    delivered: DeliveredCheck | None = Field(default=None, description="packets a traffic receiver counted")
    rx_rate: RxRateCheck | None = Field(default=None, description="a traffic receiver's packet rate")
    monitor: MonitorCheck | None = Field(default=None, description="bounds on a monitor's --stats")
    exit_status: ExitStatusCheck | None = Field(default=None, description="a guest's exit status")
    console: ConsoleCheck | None = Field(default=None, description="a guest's console output")
    command: CommandCheck | None = Field(default=None, description="a command's status and output")

    @model_validator(mode="after")
    def _one_kind(self):
        _require_one_kind(self, type(self).model_fields, "a check")
        return self

    @property
    def kind(self) -> str:
        return _set_kinds(self, type(self).model_fields)[0]

    @property
    def spec(self):
        return getattr(self, self.kind)


# --- traffic (run by testbed.run.traffic before the checks)

PACKET_RATE_RE = re.compile(r"^(max|\d+(\.\d+)?[km]?(pps)?|\d+(\.\d+)?[kmg]?(bit|bps))$", re.IGNORECASE)


class UdpgenTraffic(FromTo):
    """The built-in sendmmsg UDP generator (udpgen), run in a netns node."""

    from_: str = Field(alias="from", description="a netns node")
    to: str = Field(description="a node (its address facing `from`) or an IPv4 address")
    port: int = Field(default=5000, ge=1, le=65535, description="UDP destination port")
    size: int = Field(default=1258, ge=8, le=65507, description="UDP payload bytes (1258: 1300-byte frames)")
    rate: str | int = Field(default="max", description="packets/s (20000, 50k), frame bits/s (100mbit) or max")
    seconds: float | None = Field(default=None, gt=0, description="send for this long")
    count: int | None = Field(default=None, ge=1, description="send this many datagrams")
    gso: int = Field(default=1, ge=1, le=64, description="datagrams per message, split by the kernel (UDP GSO)")
    batch: int = Field(default=64, ge=1, le=1024, description="messages per sendmmsg")

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str | int) -> str | int:
        if isinstance(value, int):
            if value <= 0:
                raise ValueError("rate must be positive")
        elif not PACKET_RATE_RE.match(value.strip()):
            raise ValueError(f"rate {value!r} is not packets/s (20000, 50k), bits/s (100mbit) or max")
        return value

    @model_validator(mode="after")
    def _ends(self):
        if self.seconds is None and self.count is None:
            raise ValueError("give seconds or count (or both: the first reached stops)")
        return self


class PingTraffic(FromTo):
    """iputils ping; loss and round-trip percentiles parsed."""

    from_: str = Field(alias="from", description="a netns node")
    to: str = Field(description="a node (its address facing `from`) or an IP address")
    count: int = Field(default=10, ge=1, description="pings to send")
    interval: float = Field(default=0.01, gt=0, description="seconds between pings (ignored with flood)")
    flood: bool = Field(default=False, description="ping -f: send as fast as replies come back")
    size: int = Field(default=56, ge=0, le=65507, description="ICMP payload bytes")
    timeout: float = Field(default=10, gt=0, description="seconds")


class Iperf3Traffic(Strict):
    """iperf3: a one-off server in one node, the client in another."""

    client: str = Field(description="a netns node")
    server: str = Field(description="a netns node")
    protocol: Literal["tcp", "udp"] = Field(default="tcp", description="tcp or udp (-u)")
    seconds: float = Field(default=2, gt=0, description="test length (-t)")
    rate: str | None = Field(default=None, description="target bits/s (-b), e.g. 100M; UDP defaults to 1M")
    length: int | None = Field(default=None, ge=1, description="buffer / datagram bytes (-l)")
    port: int = Field(default=5201, ge=1, le=65535, description="server port (-p)")


class AppTraffic(Strict):
    """A unikernel app (udp-sink, udp-source): its console's JSON lines parsed; its monitor stopped at the end."""

    node: str = Field(description="a unikernel node")
    finishes: bool = Field(default=False, description="the app stops by itself (e.g. udp-source --seconds): wait "
                           "for its summary like a generator, instead of stopping it after the generators")
    linger: float = Field(default=1.2, ge=0, description="seconds a receiver keeps counting after the senders finish")
    timeout: float = Field(default=60, gt=0, description="seconds to wait for an app that stops by itself")


class TapreadTraffic(Strict):
    """The raw-TAP ceiling: stops a unikernel node's monitor and reads its TAP directly with tapread."""

    node: str = Field(description="a unikernel node")
    nic: str = Field(default="service0", description="the guest NIC whose TAP to read")
    busy: bool = Field(default=False, description="spin on the TAP instead of sleeping in poll")
    linger: float = Field(default=0.5, ge=0, description="seconds it keeps reading after the senders finish")


class CountersTraffic(Strict):
    """Kernel interface counters of a netns node (e.g. the receiving end of a guest's flood)."""

    node: str = Field(description="a netns node")
    interface: str = Field(description="an interface name inside the node")


class Traffic(Strict):
    """One traffic item; exactly one kind key besides name, delay."""

    name: str = Field(pattern=NAME_RE, description="referred to by checks and in results")
    delay: float = Field(default=0, ge=0, description="seconds after the traffic phase starts")
    udpgen: UdpgenTraffic | None = Field(default=None, description="the built-in UDP generator")
    ping: PingTraffic | None = Field(default=None, description="iputils ping, measured")
    iperf3: Iperf3Traffic | None = Field(default=None, description="an iperf3 client and server")
    app: AppTraffic | None = Field(default=None, description="a unikernel app that sends or counts")
    tapread: TapreadTraffic | None = Field(default=None, description="read a guest's TAP directly")
    counters: CountersTraffic | None = Field(default=None, description="a netns interface's kernel counters")

    @model_validator(mode="after")
    def _one_kind(self):
        _require_one_kind(self, TRAFFIC_KINDS, "a traffic item")
        return self

    @property
    def kind(self) -> str:
        return _set_kinds(self, TRAFFIC_KINDS)[0]

    @property
    def spec(self):
        return getattr(self, self.kind)


TRAFFIC_KINDS = ("udpgen", "ping", "iperf3", "app", "tapread", "counters")


# --- experiments (run by `testbed experiment`)

class Sweep(Strict):
    """Variants = every combination of `parameters`, plus `baselines`; each run `repeat` times on a fresh lab."""

    parameters: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="dotted path (as for --set) -> values, e.g. nodes.guest.io: [hypercall, poll]; "
        "several paths joined by commas take the same value")
    baselines: dict[Annotated[str, Field(pattern=NAME_RE)], dict[str, Any]] = Field(
        default_factory=dict, description="extra variants by name, each a set of path: value overrides")
    repeat: int = Field(default=3, ge=1, le=1000, description="measured rounds per variant")
    warmup: int = Field(default=1, ge=0, le=100, description="rounds run first and discarded")
    metrics: list[str] = Field(default_factory=list, description="TRAFFIC.METRIC keys to tabulate and plot")
    primary: str | None = Field(default=None, description="the headline metric (default: the first of metrics), "
                                "also given as a ratio to the baseline")
    baseline: str | None = Field(default=None, description="the variant ratios are relative to "
                                 "(default: the first baseline)")

    @field_validator("parameters")
    @classmethod
    def _values(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in value.items():
            if not values:
                raise ValueError(f"{path}: give at least one value")
        return value

    @model_validator(mode="after")
    def _some_variant(self):
        if not self.parameters and not self.baselines:
            raise ValueError("a sweep needs parameters or baselines")
        if self.baseline is not None and self.baseline not in self.baselines:
            raise ValueError(f"baseline {self.baseline!r} is not one of the baselines "
                             f"({', '.join(self.baselines) or 'none'})")
        return self


class Topology(Strict):
    """A topology file: nodes, the links between them, traffic to run and checks to judge."""

    name: str = Field(pattern=NAME_RE, description="the topology's name, shown in results")
    nodes: dict[Annotated[str, Field(pattern=NAME_RE)], Node] = Field(description="nodes by name; `kind` picks netns, "
                                                                      "unikernel or bridge")
    links: list[Link] = Field(default_factory=list, description="point-to-point links between node interfaces")
    checks: list[Check] = Field(default_factory=list, description="judged after the traffic; any failure fails the run")
    traffic: list[Traffic] = Field(default_factory=list, description="started in order before the checks")
    sweep: Sweep | None = Field(default=None,
                                description="variants for `testbed experiment` (`testbed run` ignores it)")

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
