"""topology.schema.nodes: the node kinds (netns, unikernel, bridge) as a discriminated union, and their parts."""
from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Union, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator

from testbed.topology.schema.common import MAC_RE, Strict, beside_topology, optional_address, optional_subnet
from testbed.topology.schema.hosts import HOST_DESCRIPTION

# The one list of network IO modes: the schema, the planner's --io= and the generated docs use it, and a test
# holds it equal to the mode table the monitor prints in --help.
IO_MODES = ("hypercall", "poll", "event", "hybrid", "solo5-ring")
IoMode = Literal[IO_MODES]
MEMORY_MIN_MIB = 4
MEMORY_MAX_MIB = 4096  # the monitor's limit, as solo5-hvt's
SECTOR_SIZE_MIN, SECTOR_SIZE_MAX = 512, 32768  # the monitor's --block-sector-size range
RING_SLOTS_MIN, RING_SLOTS_MAX = 2, 4096  # the monitor's --shm-slots range (tb_ring.h)
SLEEPS = ("exit", "hlt")  # the monitor's --sleep= values
RING_IO_MODES = ("poll", "event", "hybrid")  # the shmstream modes: the only ones a guest can sleep halted in
HALT_POLL_MAX_NS = 100_000_000  # the monitor's --halt-poll-ns limit (100 ms: polling burns the core all along)


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


class NetnsNode(Strict):
    """A Linux host: its own network namespace that runs commands and traffic tools."""

    kind: Literal["netns"]
    sysctls: dict[str, str | int] = Field(default_factory=dict, description="net.* sysctls set in the node's "
                                          "namespace, e.g. net.ipv4.ip_forward: 1")
    routes: list[Route] = Field(default_factory=list, description="static routes added after the links are up")
    commands: list[str] = Field(default_factory=list, description="shell commands run in the node after up")
    host: str | None = Field(default=None, description=HOST_DESCRIPTION)


class BlockDevice(Strict):
    """A guest block device: a file the monitor attaches with --block (and --block-sector-size)."""

    path: str = Field(description="backing file, relative to the topology file")
    sector_size: int = Field(default=SECTOR_SIZE_MIN, description="bytes: a power of two, 512..32768")
    create: int | None = Field(default=None, gt=0, description="bytes: create the file this size (zeros) when it "
                               "does not exist; the lab then removes it at down")

    @field_validator("path")
    @classmethod
    def _path_beside_topology(cls, value: str, info: ValidationInfo) -> str:
        return beside_topology(value, info)

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


class Cpus(Strict):
    """Where a unikernel's monitor threads run: the vCPU's core, the IO thread's core and priority."""

    vcpu: int | None = Field(default=None, ge=0, description="core of the vCPU thread (unset: unpinned)")
    io: int | None = Field(default=None, ge=0, description="core of the shmstream IO thread (unset: unpinned)")
    io_nice: int = Field(default=0, ge=-20, le=19, description="the IO thread's nice value (0: unchanged)")


CONSOLE_MAX_BYTES = 1 << 50  # the monitor's limits for --console-max and --console-rate
CONSOLE_MAX_RATE = 1 << 30


class ConsoleLimits(Strict):
    """How much of a unikernel's console its monitor passes on to the node's console log; the rest is dropped,
    marked in the log and counted in the node's stats."""

    max_bytes: int | None = Field(default=None, ge=0, le=CONSOLE_MAX_BYTES, description="guest bytes per run "
                                  "(0: unlimited; unset: the monitor's default, 16 MiB)")
    rate: int | None = Field(default=None, ge=0, le=CONSOLE_MAX_RATE, description="guest bytes per second, in "
                             "bursts of one second's worth (0: unlimited; unset: the monitor's default, 1 MiB/s)")


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
    console: ConsoleLimits | None = Field(default=None, description="limits on the guest's console output: "
                                          "{max_bytes, rate} (unset: the monitor's defaults)")
    ring_slots: int | None = Field(
        default=None, description="shmstream ring slots per NIC and direction (poll, event, hybrid): a power of "
        "two, 2..4096 (default: the monitor's 512); 4096 cut VM exits per packet about threefold in ci/bench udp-rx, "
        "for 16 MiB of guest memory per NIC")
    sleep: Literal[SLEEPS] = Field(
        default="exit", description="how an idle shmstream guest (io: poll, event, hybrid) sleeps: exit (a POLL exit "
        "to its monitor, woken by an eventfd) or hlt (halted inside KVM, woken by an NMI; no exit to the monitor). "
        "Not on a direct shm link end: impair or capture the link there, or use type: tap")
    halt_poll_ns: int | None = Field(
        default=None, ge=0, le=HALT_POLL_MAX_NS, description="with sleep: hlt, how long KVM polls for the wake before "
        "it gives the vCPU's core away, in ns (unset: the kvm module's halt_poll_ns); the vCPU burns its core "
        "while it polls")
    cpus: Literal["auto", "none"] | Cpus = Field(
        default="auto", description="CPU placement: auto (the vCPU alone on a core and the IO thread, at a higher "
        "priority, on core 0 with the traffic sources, when the machine has a core per guest to spare and is not busy "
        "at plan time; else none), "
        "none (unpinned), or {vcpu, io, io_nice}")
    host: str | None = Field(default=None, description=HOST_DESCRIPTION)

    @field_validator("image")
    @classmethod
    def _image_beside_topology(cls, value: str, info: ValidationInfo) -> str:
        """A name without a slash is a built-in image, not a path."""
        return beside_topology(value, info) if "/" in value else value

    @field_validator("gateway")
    @classmethod
    def _gateway(cls, value: str | None) -> str | None:
        return optional_address(value)

    @field_validator("ring_slots")
    @classmethod
    def _ring_slots(cls, value: int | None) -> int | None:
        if value is not None and (not RING_SLOTS_MIN <= value <= RING_SLOTS_MAX or value & (value - 1)):
            raise ValueError(f"a power of two from {RING_SLOTS_MIN} to {RING_SLOTS_MAX}, e.g. ring_slots: 4096")
        return value

    @field_validator("sleep")
    @classmethod
    def _sleep_needs_rings(cls, value: str, info: ValidationInfo) -> str:
        io = info.data.get("io")
        if value == "hlt" and io is not None and io not in RING_IO_MODES:
            raise ValueError(f"hlt needs io: poll, event or hybrid (this node has io: {io}), or sleep: exit")
        return value

    @field_validator("halt_poll_ns")
    @classmethod
    def _halt_poll_needs_hlt(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("sleep", "hlt") != "hlt":
            raise ValueError("KVM polls only for a halted guest: add sleep: hlt, or leave halt_poll_ns out")
        return value

    @model_validator(mode="after")
    def _rings_fit_memory(self) -> "UnikernelNode":
        # One NIC's two rings of 2 KiB slots and the guest's stack room; the monitor checks the exact sum at start.
        if self.ring_slots and self.io in ("poll", "event", "hybrid"):
            need = (2 * self.ring_slots * 2048 >> 20) + 2
            if self.memory < need:
                raise ValueError(f"ring_slots: {self.ring_slots} needs memory of at least {need} MiB per NIC "
                                 f"(memory is {self.memory})")
        return self


class BridgeNode(Strict):
    """An L2 segment that links can end on."""

    kind: Literal["bridge"]
    subnet: str | None = Field(default=None, description="addresses for endpoints on this bridge")
    host: str | None = Field(default=None, description=HOST_DESCRIPTION)

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        return optional_subnet(value)


NODE_MODELS = (NetnsNode, UnikernelNode, BridgeNode)
NODE_KINDS = tuple(get_args(model.model_fields["kind"].annotation)[0] for model in NODE_MODELS)
Node = Annotated[Union[NODE_MODELS], Field(discriminator="kind")]
