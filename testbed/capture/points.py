"""capture.points: turns each link's `capture:` into a capture point: which process captures what, into which files."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from testbed.errors import LabError
from testbed.plan.model import Plan
from testbed.topology.schema import Capture, EndpointRef, Link, Topology

TOOL = "tb-capture"
CONSOLE_PREFIX = "capture:"  # a capture process's key among the run's processes (node names hold no ':')


@dataclass(frozen=True)
class CapturePoint:
    node: str
    ifname: str  # the guest NIC's name for a unikernel end, else the interface in the node's namespace
    by_monitor: bool
    namespace: str
    path: str  # the first file's name is path itself, or path with .0 before its extension in a ring
    size: int
    files: int
    snaplen: int
    peer: tuple[str, str] | None = None  # (namespace, ifname) of a veth end's peer: its sent frames are taken there

    @property
    def label(self) -> str:
        """The interface's name in the capture (what Wireshark shows)."""
        return f"{self.node}:{self.ifname}"

    @property
    def key(self) -> str:
        return f"{CONSOLE_PREFIX}{self.label}"


def file_name(end: EndpointRef) -> str:
    return f"{end.node}-{end.ifname}.pcapng"


def run_folder(capture: Capture, run_id: str) -> Path:
    return Path(capture.dir) / run_id


def captured_end(link: Link, plan: Plan) -> EndpointRef:
    """`at` when given; else the unikernel end (the guest's own view, in every IO mode), else the first."""
    capture = link.capture
    if capture.at is not None:
        return next(end for end in link.ends if str(end) == capture.at)
    guests = [end for end in link.ends if plan.node(end.node).kind == "unikernel"]
    return (guests or list(link.ends))[0]


def plan_captures(topology: Topology, plan: Plan) -> list[CapturePoint]:
    points = []
    for link in topology.links:
        if link.capture is None:
            continue
        end = captured_end(link, plan)
        node = plan.node(end.node)
        if node.kind == "unikernel" and not _monitor_nic(plan, end):
            raise LabError(f"capture of {end}: the monitor has no NIC {end.ifname}")
        folder = run_folder(link.capture, plan.run_id)
        points.append(CapturePoint(
            node=end.node, ifname=end.ifname, by_monitor=node.kind == "unikernel", namespace=node.namespace,
            path=str((folder / file_name(end)).absolute()), size=link.capture.size, files=link.capture.files,
            snaplen=link.capture.snaplen, peer=None if node.kind == "unikernel" else veth_peer(plan, node.namespace,
                                                                                                 end.ifname)))
    return points


def veth_peer(plan: Plan, namespace: str, ifname: str) -> tuple[str, str] | None:
    """The (namespace, ifname) of the other end of the plan's veth pair that has this end, else None. What the end sends,
    its peer receives: taking the sent frames there keeps the packet tap out of the sender's transmit path."""
    for veth in plan.veths:
        if (veth.namespace, veth.ifname) == (namespace, ifname):
            return veth.peer_namespace, veth.peer_ifname
        if (veth.peer_namespace, veth.peer_ifname) == (namespace, ifname):
            return veth.namespace, veth.ifname
    return None


def _monitor_nic(plan: Plan, end: EndpointRef) -> bool:
    """Whether the guest NIC is one of its monitor's NICs: a TAP (--net) or an shm link (--net-shm, whose frames then
    go through the monitor's IO thread, where the capture hooks are)."""
    monitor = plan.monitor(end.node)
    nics = (*monitor.nics, *monitor.shm_nics) if monitor else ()
    return any(nic.name == end.ifname for nic in nics)


def monitor_flags(points: list[CapturePoint], node: str) -> list[str]:
    """The monitor's flags for its captured NICs. One size, count and snaplen per monitor: the first captured NIC's."""
    mine = [p for p in points if p.by_monitor and p.node == node]
    if not mine:
        return []
    flags = [f"--capture:{p.ifname}={p.path}" for p in mine]
    return [*flags, f"--capture-size={mine[0].size}", f"--capture-files={mine[0].files}",
            f"--capture-snaplen={mine[0].snaplen}", f"--capture-name={node}"]


def with_monitor_flags(argv: list[str], flags: list[str]) -> list[str]:
    """argv with flags placed before the `--` that ends the monitor's own options."""
    if not flags:
        return argv
    split = argv.index("--")
    return [*argv[:split], *flags, *argv[split:]]


def tool_argv(tool: str, namespace: str, ifname: str, label: str, out: str, size: int | None = None,
              files: int = 1, snaplen: int | None = None, count: int | None = None,
              peer: tuple[str, str] | None = None) -> list[str]:
    argv = [tool, f"--netns={namespace}", f"--if={ifname}", f"--name={label}", "-w", out]
    if peer is not None:
        argv += [f"--peer-netns={peer[0]}", f"--peer-if={peer[1]}"]
    if size is not None:
        argv.append(f"--size={size}")
    if files > 1:
        argv.append(f"--files={files}")
    if snaplen is not None:
        argv.append(f"--snaplen={snaplen}")
    if count is not None:
        argv.append(f"--count={count}")
    return argv


def tool_output(argv: list[str]) -> tuple[str, int]:
    """The (-w path, files in its ring) of a tool_argv()."""
    files = next((int(arg.split("=", 1)[1]) for arg in argv if arg.startswith("--files=")), 1)
    return argv[argv.index("-w") + 1], files


def socket_launches(points: list[CapturePoint], tool: str) -> list[dict]:
    """The supervisor's launches for the kernel ends: one tb-capture each, started with the monitors."""
    return [{"node": p.key, "argv": tool_argv(tool, p.namespace, p.ifname, p.label, p.path, p.size, p.files,
                                              p.snaplen, peer=p.peer)}
            for p in points if not p.by_monitor]


def make_folders(points: list[CapturePoint]) -> None:
    for point in points:
        Path(point.path).parent.mkdir(parents=True, exist_ok=True)


def ring_files(path: str, files: int) -> list[Path]:
    """The files of a ring as tb_pcapng_ring_name names them."""
    if files <= 1:
        return [Path(path)]
    base = Path(path)
    return [base.with_name(f"{base.stem}.{i}{base.suffix}") for i in range(files)]
