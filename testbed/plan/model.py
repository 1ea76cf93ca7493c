"""plan.model: the concrete, collision-free shape of one run (kernel names, addresses, monitor command lines) as frozen models."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from testbed.plan.netem import NetemQdisc
from testbed.plan.relay import Relay
from testbed.topology.schema import Check, EndpointField, IoMode, Traffic
from testbed.topology.schema.schedule import ScheduleEvent

NodeKind = Literal["netns", "unikernel", "bridge"]
Mechanism = Literal["veth", "tap", "guest", "wire"]  # wire: through a relay (plan.relay)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Namespace(Frozen):
    """A network namespace this run creates (one per node); `name` is its file under /run/netns."""

    node: str
    name: str


class Bridge(Frozen):
    namespace: str
    ifname: str


class Veth(Frozen):
    """A veth pair created in one namespace with its peer placed directly in the other (no name in the root namespace)."""

    namespace: str
    ifname: str
    peer_namespace: str
    peer_ifname: str
    mtu: int | None = None
    master: str | None = None  # bridge to enslave this end to, in its namespace
    peer_master: str | None = None


class Tap(Frozen):
    """A persistent TAP the monitor opens by name inside `namespace`."""

    namespace: str
    ifname: str
    mtu: int | None = None
    master: str | None = None


class Address(Frozen):
    namespace: str
    ifname: str
    address: str  # ADDR/PREFIX


class RateLimit(Frozen):
    """A tbf qdisc on the egress of one kernel interface."""

    namespace: str
    ifname: str
    rate: str


class Route(Frozen):
    namespace: str
    dst: str  # prefix or "default"
    via: str


class Sysctl(Frozen):
    namespace: str
    key: str
    value: str


class Interface(Frozen):
    """One endpoint as the user sees it: the node's interface name, its address, what carries it."""

    name: str
    address: str | None
    mechanism: Mechanism
    peer: EndpointField  # the other end of the link (NODE:IFNAME in JSON)
    link: int  # index in topology.links


class Nic(Frozen):
    """A guest NIC and the TAP the monitor attaches it to."""

    name: str
    tap: str
    tap_namespace: str
    mac: str


class ShmNic(Frozen):
    """A guest NIC on an shm link: its rings are shared with the peer guest's NIC (testbed/plan/shm_links.py)."""

    name: str
    link: str  # the link's id within the run (its memfd's name)
    side: int  # 0: transmits on the link's first ring, 1: on the second
    peer: EndpointField
    mac: str
    mtu: int = 1500
    slots: int = 512  # the monitor's default --shm-slots: both ends must agree

    def flags(self) -> list[str]:
        """`@LINK:SIDE:MTU:SLOTS` stands for the link's fds until the supervisor makes them (apply/shm_fds.py)."""
        return [f"--net-shm:{self.name}=@{self.link}:{self.side}:{self.mtu}:{self.slots}",
                f"--net-mac:{self.name}={self.mac}"]


class Block(Frozen):
    """A guest block device and its backing file; `create` (bytes) when the lab makes the file (and removes it)."""

    name: str
    path: str
    sector_size: int
    create: int | None = None


class Placement(Frozen):
    """The cores and priority of one monitor's threads (testbed/plan/cpus.py decides them)."""

    vcpu: int | None = None
    io: int | None = None
    io_nice: int = 0

    def flags(self) -> list[str]:
        return [*([f"--cpu-vcpu={self.vcpu}"] if self.vcpu is not None else []),
                *([f"--cpu-io={self.io}"] if self.io is not None else []),
                *([f"--io-nice={self.io_nice}"] if self.io_nice else [])]


class ConsoleLimits(Frozen):
    """The node's console: limits, when the topology sets them (unset: the monitor's defaults)."""

    max_bytes: int | None = None
    rate: int | None = None

    def flags(self) -> list[str]:
        return [*([f"--console-max={self.max_bytes}"] if self.max_bytes is not None else []),
                *([f"--console-rate={self.rate}"] if self.rate is not None else [])]


class Monitor(Frozen):
    """Everything needed to start one unikernel node's monitor."""

    node: str
    namespace: str
    image: str  # resolved path to the guest ELF
    memory: int
    io: IoMode
    nics: tuple[Nic, ...]
    shm_nics: tuple[ShmNic, ...] = ()
    guest_args: tuple[str, ...]
    blocks: tuple[Block, ...] = ()
    ready: str | None = None  # console text that marks the guest ready; None: a line starting with "ready:"
    cpus: Placement = Placement()  # unpinned unless the node's cpus: (or its auto default) says otherwise
    ring_slots: int | None = None  # --shm-slots; None: the monitor's default
    console: ConsoleLimits = ConsoleLimits()
    sleep: Literal["exit", "hlt"] = "exit"  # --sleep=hlt when hlt; exit is the monitor's default, left unsaid
    halt_poll_ns: int | None = None  # --halt-poll-ns (with hlt); None: the kvm module's default

    def sleep_flags(self) -> list[str]:
        if self.sleep != "hlt":
            return []
        return ["--sleep=hlt", *([f"--halt-poll-ns={self.halt_poll_ns}"] if self.halt_poll_ns is not None else [])]

    def argv(self, monitor_binary: str, stats_path: str) -> list[str]:
        argv = [monitor_binary, f"--mem={self.memory}", f"--netns={self.namespace}", f"--io={self.io}",
                f"--stats={stats_path}", *self.cpus.flags(), *self.console.flags(),
                *([f"--shm-slots={self.ring_slots}"] if self.ring_slots else []), *self.sleep_flags()]
        for nic in self.nics:
            argv.append(f"--net:{nic.name}={nic.tap}@{nic.tap_namespace}")
            argv.append(f"--net-mac:{nic.name}={nic.mac}")
        for shm_nic in self.shm_nics:
            argv += shm_nic.flags()
        for block in self.blocks:
            argv.append(f"--block:{block.name}={block.path}")
            argv.append(f"--block-sector-size:{block.name}={block.sector_size}")
        return [*argv, "--", self.image, *self.guest_args]


class Node(Frozen):
    name: str
    kind: NodeKind
    namespace: str
    interfaces: tuple[Interface, ...]
    commands: tuple[str, ...] = ()


class Plan(Frozen):
    run_id: str
    topology: str  # the topology's name
    source: str | None  # the YAML file it came from
    nodes: tuple[Node, ...]
    namespaces: tuple[Namespace, ...]
    bridges: tuple[Bridge, ...]
    veths: tuple[Veth, ...]
    taps: tuple[Tap, ...]
    addresses: tuple[Address, ...]
    rate_limits: tuple[RateLimit, ...]
    relays: tuple[Relay, ...] = ()  # default: a lab brought up before relays existed
    netem: tuple[NetemQdisc, ...] = ()  # links with impair: {engine: netem}: a qdisc per impaired direction
    routes: tuple[Route, ...]
    sysctls: tuple[Sysctl, ...]
    monitors: tuple[Monitor, ...]
    # The topology's own validated models, so a lab attached later runs them without reading the file again.
    # Defaults: a lab brought up before the Plan carried them can still be attached and taken down.
    traffic: tuple[Traffic, ...] = ()
    checks: tuple[Check, ...] = ()
    schedule: tuple[ScheduleEvent, ...] = ()  # timed events from the start of traffic

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node {name!r} in topology {self.topology!r} (nodes: {', '.join(n.name for n in self.nodes)})")

    def monitor(self, node: str) -> Monitor | None:
        return next((m for m in self.monitors if m.node == node), None)
