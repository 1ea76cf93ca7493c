"""plan.planner: turns a validated Topology into a Plan: per-run kernel names, link mechanisms, addresses, monitor args."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from testbed.errors import TopologyError
from testbed.plan import model as p
from testbed.plan.cpus import assign_cpus
from testbed.plan.forward_args import forward_args, is_forwarder
from testbed.plan.netem import plan_netem_link
from testbed.plan.relay import link_name, plan_relay_link, schedule_problems
from testbed.plan.shm_links import plan_shm_link, shm_wanted
from testbed.topology.rules.addressing import plan_addresses
from testbed.topology.schema import BridgeNode, EndpointRef, Link, NetnsNode, Topology, UnikernelNode

IFNAMSIZ = 15  # usable characters in a Linux interface name
NAMESPACE_PREFIX = "tb-"
RUN_ID_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
DEFAULT_BRIDGE_DEVICE = "br"

ImageResolver = Callable[[str], Path | None]


def new_run_id(prefix: str | None = None) -> str:
    """Short and random, so two runs of one file (xdist workers, two users) never share a kernel name."""
    token = secrets.token_hex(3)
    if prefix is None:
        return token
    if not RUN_ID_PREFIX_RE.match(prefix):
        raise TopologyError([f"name prefix {prefix!r}: use 1-16 of a-z, 0-9, '-'"])
    return f"{prefix}-{token}"


def namespace_name(run_id: str, node: str) -> str:
    return f"{NAMESPACE_PREFIX}{run_id}-{node}"


def make_plan(topology: Topology, run_id: str, source: str | None = None,
              resolve_image: ImageResolver | None = None) -> p.Plan:
    if resolve_image is None:
        from testbed.paths import resolve_image
    return _Planner(topology, run_id, resolve_image).build(source)


def guest_mac(run_id: str, node: str, nic: str) -> str:
    """Locally administered and unique per run, so guests of parallel runs on one bridge never clash."""
    digest = hashlib.sha256(f"{run_id}/{node}/{nic}".encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


@dataclass
class _Planner:
    topology: Topology
    run_id: str
    resolve_image: ImageResolver
    problems: list[str] = field(default_factory=list)
    bridges: list[p.Bridge] = field(default_factory=list)
    veths: list[p.Veth] = field(default_factory=list)
    taps: list[p.Tap] = field(default_factory=list)
    addresses: list[p.Address] = field(default_factory=list)
    rate_limits: list[p.RateLimit] = field(default_factory=list)
    relays: list = field(default_factory=list)  # plan.relay.Relay: links with `impair:`
    netem: list = field(default_factory=list)  # plan.netem.NetemQdisc: links with `impair: {engine: netem}`
    interfaces: dict[str, list[p.Interface]] = field(default_factory=dict)
    nics: dict[str, list[p.Nic]] = field(default_factory=dict)
    shm_nics: dict[str, list[p.ShmNic]] = field(default_factory=dict)

    def build(self, source: str | None) -> p.Plan:
        self._check_names()
        endpoint_addresses = self._assign_addresses()
        self._plan_bridge_devices()
        for index, link in enumerate(self.topology.links):
            self._plan_link(index, link, endpoint_addresses)
        monitors = tuple(self._plan_monitor(name, node) for name, node in self.topology.nodes.items()
                         if isinstance(node, UnikernelNode))
        monitors = assign_cpus(monitors, self.topology, self.problems)
        self.problems += schedule_problems(self.topology, self.relays, self.netem)
        if self.problems:
            raise TopologyError(self.problems)
        return p.Plan(
            run_id=self.run_id, topology=self.topology.name, source=source,
            nodes=tuple(self._node_view(name, node) for name, node in self.topology.nodes.items()),
            namespaces=tuple(p.Namespace(node=name, name=self.ns(name)) for name in self.topology.nodes),
            bridges=tuple(self.bridges), veths=tuple(self.veths), taps=tuple(self.taps),
            addresses=tuple(self.addresses), rate_limits=tuple(self.rate_limits),
            relays=tuple(self.relays), netem=tuple(self.netem),
            routes=self._routes(), sysctls=self._sysctls(), monitors=monitors,
            traffic=tuple(self.topology.traffic), checks=tuple(self.topology.checks),
            schedule=tuple(self.topology.schedule),
        )

    def ns(self, node: str) -> str:
        return namespace_name(self.run_id, node)

    def kind(self, node: str) -> str:
        return self.topology.nodes[node].kind

    # --- static checks the planner relies on (the loader reports them with file positions first)

    def _check_names(self) -> None:
        seen: set[tuple[str, str]] = set()
        for index, link in enumerate(self.topology.links):
            for endpoint in link.endpoints:
                where = f"links[{index}]: endpoint {endpoint}"
                if endpoint.node not in self.topology.nodes:
                    self.problems.append(f"{where}: no node {endpoint.node!r}")
                if len(endpoint.ifname) > IFNAMSIZ:
                    self.problems.append(f"{where}: interface name longer than {IFNAMSIZ} characters")
                if (endpoint.node, endpoint.ifname) in seen:
                    self.problems.append(f"{where}: used by another link")
                seen.add((endpoint.node, endpoint.ifname))
        if self.problems:
            raise TopologyError(self.problems)

    # --- addresses

    def _assign_addresses(self) -> dict[EndpointRef, str]:
        """The address plan the static checks judged (one computation for both); a short subnet is a problem."""
        addresses = plan_addresses(self.topology)
        for segment in addresses.short:
            path = ".".join(map(str, segment.subnet_path))
            self.problems.append(f"{path}: {segment.subnet} has too few addresses for the endpoints on "
                                 f"{segment.title}")
        return {end: str(address) for end, address in addresses.of_endpoint().items()}

    # --- links

    def _plan_bridge_devices(self) -> None:
        for name, node in self.topology.nodes.items():
            if isinstance(node, BridgeNode):
                self.bridges.append(p.Bridge(namespace=self.ns(name), ifname=self._bridge_device(name)))

    def _bridge_device(self, bridge: str) -> str:
        """The bridge node's own name when it fits and no port is called that; ports use the user's names."""
        ports = {end.ifname for link in self.topology.links
                 for end in link.endpoints if end.node == bridge}
        for candidate in (bridge, DEFAULT_BRIDGE_DEVICE, "bridge0"):
            if len(candidate) <= IFNAMSIZ and candidate not in ports:
                return candidate
        return f"br{len(ports)}"

    def _plan_link(self, index: int, link: Link, addresses: dict[EndpointRef, str]) -> None:
        if link.impair and link.impair.engine == "netem":  # a plain veth whose senders get netem qdiscs
            self.netem += plan_netem_link(self, index, link, link_name(link))
            link = link.model_copy(update={"impair": None})
        if link.impair and not shm_wanted(self, link):  # an impaired shm link: the monitor's IO thread impairs it
            return plan_relay_link(self, index, link, addresses)
        a, b = link.endpoints
        kinds = {self.kind(a.node), self.kind(b.node)}
        if "unikernel" not in kinds:
            self._veth(link, a, b)
        elif kinds == {"unikernel"}:
            if not plan_shm_link(self, index, link, a, b):
                self._guest_pair(index, link, a, b)
        else:
            guest, other = (a, b) if self.kind(a.node) == "unikernel" else (b, a)
            self._tap(link, other, master=self._master(other))
            self._attach_nic(guest, tap=other.ifname, tap_namespace=self.ns(other.node))
        for end in (a, b):
            peer = b if end is a else a
            mechanism = "tap" if self.kind(peer.node) == "unikernel" else "veth"
            if self.kind(end.node) == "unikernel":
                mechanism = "guest"
            address = addresses.get(end)
            self.interfaces.setdefault(end.node, []).append(p.Interface(
                name=end.ifname, address=address, mechanism=mechanism,
                peer=peer, link=index))
            if address and self.kind(end.node) == "netns":
                self.addresses.append(p.Address(namespace=self.ns(end.node), ifname=end.ifname, address=address))

    def _master(self, end: EndpointRef) -> str | None:
        if self.kind(end.node) != "bridge":
            return None
        return self._bridge_device(end.node)

    def _veth(self, link: Link, a: EndpointRef, b: EndpointRef) -> None:
        self.veths.append(p.Veth(
            namespace=self.ns(a.node), ifname=a.ifname, peer_namespace=self.ns(b.node), peer_ifname=b.ifname,
            mtu=link.mtu, master=self._master(a), peer_master=self._master(b)))
        self._rate_limit(link, self.ns(a.node), a.ifname)
        self._rate_limit(link, self.ns(b.node), b.ifname)

    def _tap(self, link: Link, end: EndpointRef, master: str | None, ifname: str | None = None) -> None:
        ifname = ifname or end.ifname
        self.taps.append(p.Tap(namespace=self.ns(end.node), ifname=ifname, mtu=link.mtu, master=master))
        self._rate_limit(link, self.ns(end.node), ifname)

    def _guest_pair(self, index: int, link: Link, a: EndpointRef, b: EndpointRef) -> None:
        """Two unikernels meet on a private bridge in the first one's namespace, one TAP each."""
        namespace, bridge = self.ns(a.node), f"br{index}"
        self.bridges.append(p.Bridge(namespace=namespace, ifname=bridge))
        for end, tap in ((a, f"l{index}a"), (b, f"l{index}b")):
            self._tap(link, a, master=bridge, ifname=tap)
            self._attach_nic(end, tap=tap, tap_namespace=namespace)

    def _rate_limit(self, link: Link, namespace: str, ifname: str) -> None:
        if link.rate:
            self.rate_limits.append(p.RateLimit(namespace=namespace, ifname=ifname, rate=link.rate))

    def _attach_nic(self, guest: EndpointRef, tap: str, tap_namespace: str) -> None:
        node = self.topology.nodes[guest.node]
        mac = node.macs.get(guest.ifname) or guest_mac(self.run_id, guest.node, guest.ifname)
        self.nics.setdefault(guest.node, []).append(
            p.Nic(name=guest.ifname, tap=tap, tap_namespace=tap_namespace, mac=mac.lower()))

    # --- nodes

    def _plan_monitor(self, name: str, node: UnikernelNode) -> p.Monitor:
        image = self.resolve_image(node.image)
        if image is None:
            self.problems.append(f"nodes.{name}.image: {node.image!r} is neither a built-in image nor a file")
        return p.Monitor(node=name, namespace=self.ns(name), image=str(image or node.image), memory=node.memory,
                         io=node.io, nics=tuple(self.nics.get(name, ())),
                         shm_nics=tuple(self.shm_nics.get(name, ())), guest_args=self._guest_args(name, node),
                         blocks=self._blocks(name, node), ready=node.ready, ring_slots=node.ring_slots,
                         sleep=node.sleep, halt_poll_ns=node.halt_poll_ns,
                         console=p.ConsoleLimits(**node.console.model_dump()) if node.console else p.ConsoleLimits())

    def _blocks(self, name: str, node: UnikernelNode) -> tuple[p.Block, ...]:
        """A file to attach must exist now unless the lab is to create it (then it must not: never overwrite one)."""
        blocks = []
        for device, spec in node.block.items():
            exists = os.path.exists(spec.path)
            if spec.create is None and not exists:
                self.problems.append(f"nodes.{name}.block.{device}: {spec.path} does not exist "
                                     "(give create: BYTES to have the lab make it)")
            blocks.append(p.Block(name=device, path=spec.path, sector_size=spec.sector_size,
                                  create=spec.create if not exists else None))
        return tuple(blocks)

    def _guest_args(self, name: str, node: UnikernelNode) -> tuple[str, ...]:
        """--ip from the first addressed NIC and --gw from `gateway:`, unless the user passes them.

        --gw is never guessed: apps that serve only their own segment (ping-serve) refuse arguments they don't take.
        """
        args: list[str] = []
        if not node.auto_args:
            return tuple(node.args)
        if is_forwarder(node):
            return forward_args(self.topology, self.interfaces, name, node)
        user_keys = {arg.split("=", 1)[0] for arg in node.args}
        first = next((i for i in self.interfaces.get(name, ()) if i.address), None)
        if first and "--ip" not in user_keys:
            args.append(f"--ip={first.address}")
        if node.gateway and "--gw" not in user_keys:
            args.append(f"--gw={node.gateway}")
        return (*args, *node.args)

    def _node_view(self, name: str, node) -> p.Node:
        commands = tuple(node.commands) if isinstance(node, NetnsNode) else ()
        return p.Node(name=name, kind=node.kind, namespace=self.ns(name),
                      interfaces=tuple(self.interfaces.get(name, ())), commands=commands)

    def _routes(self) -> tuple[p.Route, ...]:
        return tuple(p.Route(namespace=self.ns(name), dst=route.dst, via=route.via)
                     for name, node in self.topology.nodes.items() if isinstance(node, NetnsNode)
                     for route in node.routes)

    def _sysctls(self) -> tuple[p.Sysctl, ...]:
        return tuple(p.Sysctl(namespace=self.ns(name), key=key, value=str(value))
                     for name, node in self.topology.nodes.items() if isinstance(node, NetnsNode)
                     for key, value in node.sysctls.items())

