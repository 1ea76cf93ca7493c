"""cluster.orchestrator: a lab that spans hosts: partition, reach every agent, bring the parts up, renew, take down."""
from __future__ import annotations

import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Self

import execnet

from testbed.cluster.gateways import AgentLink, HostError
from testbed.cluster.lease import DEFAULT_LEASE_SECONDS
from testbed.cluster.partition import Part, partition
from testbed.errors import LabError
from testbed.lab.phase_timer import PhaseTimer
from testbed.plan import planner
from testbed.run.checks import CheckResult
from testbed.topology.rules.addressing import is_ip, plan_addresses
from testbed.topology.schema import Check, PingCheck, Topology


@dataclass(frozen=True)
class _PlanView:
    """What `testbed run` reads of a lab's plan: the topology's name; monitors' stats stay on their hosts."""

    topology: str
    monitors: tuple = ()


class ClusterLab:
    """A running lab over several hosts. Use as a context manager; down() is safe to call twice."""

    def __init__(self, topology: Topology, run_id: str, parts: dict[str, Part], lease_seconds: float):
        self.topology, self.run_id, self.parts = topology, run_id, parts
        self.lease_seconds = lease_seconds
        self.plan = _PlanView(topology.name)
        self.links = {host: AgentLink(host, topology.hosts[host].gateway_spec()) for host in parts}
        self.part_runs: dict[str, str] = {}  # host -> the part's run id there
        self.part_prefix = run_id
        self.timings = PhaseTimer()
        self.traffic: dict = {}
        self._group = execnet.Group()
        self._stop_renewing = threading.Event()
        self._renewer: threading.Thread | None = None
        self._addresses = {(end.node, end.ifname): str(ip.ip) for end, ip in
                           plan_addresses(topology).of_endpoint().items()}

    @classmethod
    def up(cls, topology: Topology, name_prefix: str | None = None,
           lease_seconds: float = DEFAULT_LEASE_SECONDS) -> ClusterLab:
        """Every host reached first (an unreachable one fails the up before anything is made anywhere); then the
        parts come up side by side; any failure takes down the parts already up."""
        run_id = planner.new_run_id(name_prefix)
        lab = cls(topology, run_id, partition(topology, run_id), lease_seconds)
        lab.part_prefix = name_prefix or run_id  # parts are named like local runs: a prefix's leak audit sees them
        try:
            lab._connect()
            lab.timings.mark("connect")
            lab._bring_up_parts()
            lab.timings.mark("parts")
            lab._start_renewing()
        except BaseException:
            lab.down()
            raise
        return lab

    def _connect(self) -> None:
        with ThreadPoolExecutor(max_workers=len(self.links)) as pool:
            futures = {host: pool.submit(link.connect, self._group) for host, link in self.links.items()}
        failures = [f.exception() for f in futures.values() if f.exception() is not None]
        if failures:
            raise HostError("; ".join(str(exc) for exc in failures))

    def _bring_up_parts(self) -> None:
        prefix = self.part_prefix
        orchestrator = {"hostname": socket.gethostname(), "pid": os.getpid()}

        def bring_up(host: str) -> None:
            part = self.parts[host]
            reply = self.links[host].request({
                "op": "up", "cluster": self.run_id, "host": host, "prefix": prefix, "topology": part.topology,
                "tunnels": [t.to_json() for t in part.tunnels], "lease_seconds": self.lease_seconds,
                "orchestrator": orchestrator})
            self.part_runs[host] = reply["run_id"]

        with ThreadPoolExecutor(max_workers=len(self.parts)) as pool:
            futures = [pool.submit(bring_up, host) for host in self.parts]
        failures = [f.exception() for f in futures if f.exception() is not None]
        if failures:
            raise failures[0] if len(failures) == 1 else HostError("; ".join(map(str, failures)))

    def _start_renewing(self) -> None:
        def renew() -> None:
            while not self._stop_renewing.wait(self.lease_seconds / 3):
                for link in self.links.values():
                    try:
                        link.request({"op": "renew"}, timeout=self.lease_seconds / 3)
                    except HostError:
                        continue  # that host's part lapses on its own; down() reports it

        self._renewer = threading.Thread(target=renew, name="lease-renewal", daemon=True)
        self._renewer.start()

    def down(self) -> list[str]:
        """Each part taken down by its agent, all hosts at once; a host that cannot be asked is named (its lease
        takes its part down)."""
        self._stop_renewing.set()

        def take_down(host: str, run_id: str) -> list[str]:
            try:
                problems = self.links[host].request({"op": "down", "run_id": run_id})["problems"]
            except HostError as exc:
                return [f"{exc} (its part goes when its lease lapses)"]
            del self.part_runs[host]
            return [f"host {host}: {problem}" for problem in problems]

        with ThreadPoolExecutor(max_workers=max(1, len(self.part_runs))) as pool:
            results = list(pool.map(lambda item: take_down(*item), list(self.part_runs.items())))
        for link in self.links.values():
            link.close()
        return [problem for problems in results for problem in problems]

    def detach(self) -> None:
        raise LabError("a lab that spans hosts lives as long as its orchestrator renews its leases: use "
                       "`testbed run`, or the Python API (testbed.lab.Lab.up) in a process that stays")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.down()

    # --- driving it

    def host_of(self, node: str) -> str:
        return self.topology.nodes[node].host

    def address(self, node: str, towards: str | None = None) -> str:
        """The node's address, preferring the link that joins it to `towards` (or a bridge they share)."""
        mine = [(end, ip) for end, ip in self._addresses.items() if end[0] == node]
        if not mine:
            raise LabError(f"node {node} has no address")
        near = self._segment_peers(towards) if towards else set()
        preferred = [ip for (_, ifname), ip in mine if self._peer_of(node, ifname) in near]
        return (preferred or [ip for _, ip in mine])[0]

    def _peer_of(self, node: str, ifname: str) -> str | None:
        for link in self.topology.links:
            a, b = link.ends
            if (a.node, a.ifname) == (node, ifname):
                return b.node
            if (b.node, b.ifname) == (node, ifname):
                return a.node
        return None

    def _segment_peers(self, node: str) -> set[str]:
        peers = {self._peer_of(node, end.ifname) for link in self.topology.links for end in link.ends
                 if end.node == node}
        return {node} | {p for p in peers if p and self.topology.nodes[p].kind == "bridge"}

    def check(self, check: Check | PingCheck | dict) -> CheckResult:
        """Judged by the agent of the `from` node's host, with the target resolved here (it may be elsewhere)."""
        if isinstance(check, dict):
            check = Check.model_validate(check)
        spec = check.spec if isinstance(check, Check) else check
        if not isinstance(spec, PingCheck):
            return CheckResult(kind=type(spec).__name__, name=str(spec), passed=False, spec={}, measured={},
                               message="only ping checks are judged across hosts so far")
        target = spec.to if is_ip(spec.to) else self.address(spec.to, towards=spec.from_)
        local = spec.model_copy(update={"to": target}).model_dump(mode="json", by_alias=True)
        host = self.host_of(spec.from_)
        try:
            reply = self.links[host].request({"op": "check", "run_id": self.part_runs[host],
                                              "check": {"ping": local}})
        except HostError as exc:  # a host lost mid-run fails its checks, by name; the others still run
            return CheckResult(kind="ping", name=f"ping {spec.from_} -> {spec.to}", passed=False, message=str(exc),
                               spec=local, measured={})
        return CheckResult.model_validate(reply["result"])

    def ping(self, src: str, dst: str, count: int = 10, interval: float = 0.01) -> CheckResult:
        return self.check(PingCheck.model_validate({"from": src, "to": dst, "count": count, "interval": interval}))

    def exec(self, node: str, argv: list[str], timeout: float | None = None) -> dict:
        host = self.host_of(node)
        return self.links[host].request({"op": "exec", "run_id": self.part_runs[host], "node": node,
                                         "argv": list(argv), "timeout": timeout})

    def run_traffic(self, on_event=None) -> dict:
        if self.topology.traffic:
            raise LabError("`traffic:` is not run across hosts yet: run it from a node with `commands:`")
        return {}

    def run_checks(self) -> list[CheckResult]:
        self.run_traffic()
        return [self.check(check) for check in self.topology.checks]

    def stats(self, node: str) -> dict | None:
        return None

