"""lab.lifecycle: the programmatic API: bring a topology up (rolling back on any failure or signal), drive it, tear it down."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Self

import testbed
from testbed.apply import nsenter, pause, readiness, relay
from testbed.apply.procs import ProcessId
from testbed.capture.points import TOOL, make_folders, monitor_flags, plan_captures, socket_launches, with_monitor_flags
from testbed.capture.ready import wait_captures
from testbed.capture.trim import record_files
from testbed.down import teardown
from testbed.down.state import RunDir
from testbed.errors import LabError, TopologyError
from testbed.lab import collector
from testbed.lab.phase_timer import PhaseTimer
from testbed.lab.signals import interrupt_on_signals, signals_ignored
from testbed.plan import planner
from testbed.plan.model import Node, Plan
from testbed.run.checks import CheckResult
from testbed.run.checks.ping import judge, ping
from testbed.run.iputils import PingResult
from testbed.topology.load import load_topology
from testbed.topology.rules.addressing import is_ip
from testbed.topology.schema import Check, PingCheck

READY_TIMEOUT_SECONDS = 20.0
SUPERVISOR_START_TIMEOUT_SECONDS = 10.0
COMMAND_TIMEOUT_SECONDS = 60.0


class Lab:
    """A running topology. Use as a context manager; down() is always safe to call, twice or after a failure."""

    def __init__(self, plan: Plan, run: RunDir):
        self.plan = plan
        self.run = run
        self._final_stats: dict[str, dict | None] | None = None
        self.traffic: dict[str, dict] | None = None  # figures of the topology's `traffic:` once run_traffic() ran
        self._supervisor: subprocess.Popen | None = None  # kept so its exit status is collected (no zombie)
        self.timings = PhaseTimer()
        self.down_timings = PhaseTimer()  # restarted by down()
        self.captures: list = []  # the topology's capture points (testbed.capture.points), set by up()

    # --- life cycle

    @classmethod
    def up(cls, topology_path: str | os.PathLike, overrides: dict | None = None, name_prefix: str | None = None,
           ready_timeout: float = READY_TIMEOUT_SECONDS) -> Lab:
        timings = PhaseTimer()
        with collector.paused():
            topology = load_topology(topology_path, overrides)
        timings.mark("load")
        if topology.hosts:  # it spans hosts: each host's agent brings up its part (testbed.cluster)
            from testbed.cluster.orchestrator import ClusterLab

            return ClusterLab.up(topology, name_prefix=name_prefix)
        source = str(Path(topology_path).absolute())  # so attach() and run_checks() work from any directory
        try:
            with collector.paused():
                plan = planner.make_plan(topology, planner.new_run_id(name_prefix), source=source)
        except TopologyError as exc:  # the planner knows the topology, not the file it came from
            raise TopologyError([f"{topology_path}: {problem}" for problem in exc.problems]) from None
        timings.mark("plan")
        from testbed.apply import netem

        netem.require(plan.netem)  # before the run's state directory: a kernel without netem leaves nothing behind
        owner, lab = os.getpid(), None
        with interrupt_on_signals():
            try:
                lab = cls(plan, RunDir.create(plan.run_id, {
                    "run_id": plan.run_id, "topology": plan.topology, "source": source, "overrides": overrides,
                    "phase": "creating", "owner": ProcessId.me().to_json()}, plan=plan.model_dump(mode="json")))
                lab.timings = timings
                lab.captures = plan_captures(topology, plan)
                lab._bring_up(ready_timeout)
            except BaseException as exc:
                if os.getpid() != owner:  # a forked child (before its exec) must never roll back our run
                    os._exit(1)
                with signals_ignored():
                    if lab is not None:
                        lab.down()
                    elif not isinstance(exc, FileExistsError):  # interrupted while creating our state directory
                        shutil.rmtree(RunDir.for_run(plan.run_id).path, ignore_errors=True)
                raise
        return lab

    @classmethod
    def attach(cls, run_id: str) -> Lab:
        """A lab some other process brought up (for status, exec, console, down)."""
        run = RunDir.for_run(run_id)
        if not run.exists():
            raise LabError(f"no run {run_id!r} under {run.path.parent}")
        return cls(Plan.model_validate(run.read_plan()), run)

    def _bring_up(self, ready_timeout: float) -> None:
        from testbed.apply.handles import Handles
        from testbed.apply.links import apply

        self.timings.mark("imports")  # pyroute2 alone takes ~0.1 s to import
        # The supervisor's interpreter starts on the other core while the links are made.
        self._spawn_supervisor()
        with Handles() as handles, collector.frozen():
            apply(self.plan, self.run.record_all, handles, forget=self.run.forget, mark=self.timings.mark)
        self.timings.mark("close handles")
        self._create_block_files()
        pause.point("links")
        self._release_supervisor()
        relay.wait_ready(self.run, self.plan.relays, ready_timeout)
        readiness.wait_ready(self.run, [m.node for m in self.plan.monitors], ready_timeout,
                             markers={m.node: m.ready for m in self.plan.monitors if m.ready})
        wait_captures(self.run, self.captures, ready_timeout)
        self.timings.mark("monitors")
        pause.point("monitors")
        self._run_node_commands()
        self.timings.mark("commands")
        self.run.update(lambda state: state.__setitem__("phase", "up"))

    def _spawn_supervisor(self) -> None:
        """One supervisor per run (its own session, so Ctrl-C is ours to handle) starts the monitors once released;
        it watches this process through a pidfd and stops them if we die, until detach()."""
        with open(self.run.path / "supervisor.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-S", "-m", "testbed.apply.supervise", str(self.run.path), str(os.getpid())],
                stdin=subprocess.PIPE, stdout=log, stderr=log, start_new_session=True,
                env={**os.environ, "PYTHONPATH": _package_parent()}, close_fds=True)
        identity = ProcessId.of(process.pid) or ProcessId(process.pid, 0)
        self.run.update(lambda state: state.__setitem__("supervisor", identity.to_json()))
        self._supervisor = process

    def _create_block_files(self) -> None:
        """The block files the topology asks the lab to make: recorded first, so down() removes exactly these."""
        for monitor in self.plan.monitors:
            for block in monitor.blocks:
                if block.create is None:
                    continue
                self.run.record("file", path=block.path)
                try:
                    fd = os.open(block.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                except FileExistsError:  # made by someone else since the plan: theirs, not ours to remove
                    self.run.forget("file", path=block.path)
                    raise LabError(f"node {monitor.node}: block {block.name}: {block.path} appeared meanwhile") from None
                try:
                    os.ftruncate(fd, block.create)  # sparse zeros
                finally:
                    os.close(fd)

    def _release_supervisor(self) -> None:
        """The links exist now: tell the supervisor what to start, and wait until it has started it."""
        from testbed import paths

        monitor = str(paths.monitor_path()) if self.plan.monitors else ""
        relay.create_monitor_controls(self.plan.relays, self.run)  # links a monitor impairs change through these
        launches = [{"node": m.node, "argv": with_monitor_flags(
            m.argv(monitor, str(self.run.stats_path(m.node))),
            monitor_flags(self.captures, m.node) + relay.monitor_flags(self.plan.relays, self.run, m.node))}
            for m in self.plan.monitors]
        if self.captures:  # the files stay after down: the run's artefacts
            make_folders(self.captures)
            record_files(self.run, self.captures)
            launches += socket_launches(self.captures, str(paths.tool_path(TOOL)))
        launches += relay.launches(self.plan.relays, self.run)
        (self.run.path / "launch.json").write_text(json.dumps(launches, indent=1))
        try:
            self._supervisor.stdin.write(b"start\n")
            self._supervisor.stdin.close()
        except BrokenPipeError:
            pass  # it died: wait_supervisor says so
        identity = ProcessId.from_json(self.run.read().get("supervisor"))
        readiness.wait_supervisor(self.run, identity, SUPERVISOR_START_TIMEOUT_SECONDS)

    def _run_node_commands(self) -> None:
        """Each command runs to completion; output goes to a log file, not a pipe, so `daemon &` doesn't hang us."""
        for node in self.plan.nodes:
            log_path = self.run.path / "console" / f"{node.name}.commands.log"
            for command in node.commands:
                with open(log_path, "ab") as log:
                    done = nsenter.run(node.namespace, ["/bin/sh", "-c", command], timeout=COMMAND_TIMEOUT_SECONDS,
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
                if done.returncode != 0:
                    raise LabError(f"node {node.name}: command {command!r} exited with status {done.returncode}; "
                                   f"output ({log_path}):\n{readiness.console_tail(log_path)}")

    def detach(self) -> None:
        """Hand the lab to its supervisor so it outlives this process (what `testbed up` does)."""
        supervisor = ProcessId.from_json(self.run.read().get("supervisor"))
        if supervisor is None or not supervisor.signal(signal.SIGUSR1):
            raise LabError(f"run {self.run_id}: the supervisor is gone")
        self.run.update(lambda state: state.__setitem__("owner", supervisor.to_json()))

    def down(self, keep: str | os.PathLike | None = None) -> list[str]:
        """Stop everything, keep the monitors' final stats in memory, remove every object and file of the run.

        keep: first copy the run's files (state.json, consoles, final stats, logs) there: a failed test's artefacts."""
        if not self.run.exists():
            return []
        self.down_timings = PhaseTimer()
        with signals_ignored():  # a second Ctrl-C must not cut a teardown short
            try:
                teardown.stop_processes(self.run)
            except FileNotFoundError:
                return []
            self.down_timings.mark("stop processes")
            self._final_stats = {m.node: self._read_stats(m.node) for m in self.plan.monitors}
            if keep is not None:
                try:
                    shutil.copytree(self.run.path, keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock"))
                except OSError:  # artefacts are best effort; the teardown is not
                    pass
            problems = teardown.destroy(self.run, mark=self.down_timings.mark)
            if self._supervisor is not None:
                self._supervisor.poll()  # collect our child's exit status: no zombie for the rest of the session
            return problems

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.down()

    # --- facts

    @property
    def run_id(self) -> str:
        return self.plan.run_id

    @property
    def state_dir(self) -> Path:
        return self.run.path

    @property
    def nodes(self) -> dict[str, Node]:
        return {node.name: node for node in self.plan.nodes}

    def processes(self) -> dict[str, dict]:
        return self.run.read()["processes"] if self.run.exists() else {}

    def address(self, node: str, towards: str | None = None) -> str:
        """The node's address, preferring the interface whose link reaches `towards`."""
        interfaces = [i for i in self.plan.node(node).interfaces if i.address]
        if not interfaces:
            raise LabError(f"node {node} has no address")
        neighbours = self._neighbours(towards) if towards else set()
        preferred = [i for i in interfaces if i.peer.node in neighbours]
        return (preferred or interfaces)[0].address.split("/")[0]

    def target_address(self, target: str, towards: str) -> str:
        """A ping or traffic target: an IP as given, or the node's address on the segment it shares with `towards`."""
        return target if is_ip(target) else self.address(target, towards=towards)

    def _neighbours(self, node: str) -> set[str]:
        """The node itself and the bridges it is on: an interface whose peer is one of these shares its segment."""
        peers = {i.peer.node for i in self.plan.node(node).interfaces}
        return {node} | {peer for peer in peers if self.plan.node(peer).kind == "bridge"}

    # --- driving it

    def ping(self, src: str, dst: str, count: int = 10, interval: float = 0.01, size: int = 56,
             timeout: float = 10.0) -> PingResult:
        source = self.plan.node(src)
        destination = self.target_address(dst, towards=src)
        return ping(source.namespace, src, destination, count=count, interval=interval, size=size, timeout=timeout)

    def exec(self, node: str, argv: list[str], timeout: float | None = None, **kwargs) -> subprocess.CompletedProcess:
        """Run argv inside the node's namespace; output captured as text unless overridden."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("text", True)
        return nsenter.run(self.plan.node(node).namespace, list(argv), timeout=timeout, **kwargs)

    def console(self, node: str) -> str:
        self._unikernel(node)
        try:
            return self.run.console_path(node).read_bytes().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stats(self, node: str) -> dict | None:
        """The monitor's stats JSON (written when the monitor exits); after down(), the final figures."""
        self._unikernel(node)
        if self._final_stats is not None:
            return self._final_stats.get(node)
        return self._read_stats(node)

    def check(self, check: Check | PingCheck | dict) -> CheckResult:
        if isinstance(check, dict):
            check = Check.model_validate(check)
        spec = check.spec if isinstance(check, Check) else check
        if isinstance(spec, PingCheck):
            result = self.ping(spec.from_, spec.to, count=spec.count, interval=spec.interval, size=spec.size,
                               timeout=spec.timeout)
            if spec.impaired:  # against the link's configured loss and delay (testbed.run.checks.impaired)
                from testbed.run.checks.impaired import judge_ping
                return judge_ping(self, spec, result)
            return judge(spec, result)
        # The other kinds: traffic, monitor stats, console, command.
        from testbed.run.checks.kinds import judge as judge_kind

        try:
            return judge_kind(self, spec, self.traffic or {})
        except TypeError as exc:
            raise LabError(str(exc)) from exc

    def run_traffic(self, on_event=None) -> dict[str, dict]:
        """Runs the topology's `traffic:` once (testbed.run.traffic.schedule); the checks judge its figures."""
        if self.traffic is None:
            from testbed.run.traffic.schedule import run_traffic

            self.traffic = run_traffic(self, list(self.plan.traffic), on_event) if self.plan.traffic else {}
        return self.traffic

    def run_checks(self) -> list[CheckResult]:
        from testbed.run.traffic.base import TrafficError

        try:
            self.run_traffic()
        except TrafficError as exc:  # the checks would judge figures that do not exist: report why instead
            return [CheckResult(kind="traffic", name="traffic", passed=False, message=str(exc), spec={}, measured={})]
        return [self.check(check) for check in self.plan.checks]

    def _unikernel(self, node: str) -> None:
        if self.plan.node(node).kind != "unikernel":
            raise LabError(f"node {node} is not a unikernel (it is {self.plan.node(node).kind})")

    def _read_stats(self, node: str) -> dict | None:
        try:
            return json.loads(self.run.stats_path(node).read_text())
        except (FileNotFoundError, ValueError):
            return None


def _package_parent() -> str:
    """So the supervisor imports this very testbed, installed or run from a checkout."""
    parent = str(Path(testbed.__file__).resolve().parent.parent)
    existing = os.environ.get("PYTHONPATH")
    return f"{parent}{os.pathsep}{existing}" if existing else parent
