"""capture.runtime: `testbed capture` on a running lab: resolve NODE:IF to a kernel interface and run tb-capture on it,
recorded among the run's processes so `down` (and the death of the caller) ends it."""
from __future__ import annotations

import ctypes
import signal
import subprocess
from dataclasses import dataclass

from testbed.apply.procs import ProcessId
from testbed.capture.points import tool_output, veth_peer
from testbed.capture.trim import record_file, trim_ring
from testbed.errors import LabError

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class KernelEnd:
    """Where a NODE:IF's frames can be seen by a packet socket."""

    namespace: str
    ifname: str
    label: str
    peer: tuple[str, str] | None = None  # a veth end's peer (namespace, ifname): its sent frames are taken there


def resolve(lab, endpoint: str) -> KernelEnd:
    """A netns or bridge interface as it is; a guest NIC by the TAP its monitor uses (the same frames, seen from the
    kernel's side: a running monitor cannot be told to start a capture, `capture:` in the topology can)."""
    node_name, _, ifname = endpoint.partition(":")
    try:
        node = lab.plan.node(node_name)
    except KeyError as exc:
        raise LabError(str(exc).strip('"')) from None
    names = [interface.name for interface in node.interfaces]
    if ifname not in names:
        raise LabError(f"node {node_name} has no interface {ifname!r} (interfaces: {', '.join(names) or 'none'})")
    if node.kind != "unikernel":
        return KernelEnd(node.namespace, ifname, endpoint, veth_peer(lab.plan, node.namespace, ifname))
    monitor = lab.plan.monitor(node_name)
    nic = next((n for n in (monitor.nics if monitor else ()) if n.name == ifname), None)
    if nic is None:
        raise LabError(f"{endpoint} reaches no kernel interface (a shared-memory link): capture it with `capture:` "
                       "on its link in the topology (the monitor captures it)")
    return KernelEnd(nic.tap_namespace, nic.tap, endpoint)


def _die_with_us() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def run_capture(lab, argv: list[str], label: str) -> int:
    """Runs the capture to its end (Ctrl-C, --count, the lab going down, a stream's reader leaving); its exit status.
    Its file is recorded first, so `down`, which kills the tool, trims it (a stream on stdout has none); a tool
    killed otherwise has its file trimmed here."""
    out, files = tool_output(argv)
    try:
        if out != "-":
            record_file(lab.run, out, files)
    except FileNotFoundError:  # the lab went down meanwhile: the record below fails too and ends the tool
        pass
    process = subprocess.Popen(argv, preexec_fn=_die_with_us)  # noqa: PLW1509 - prctl only
    key = f"capture:{label}:{process.pid}"
    identity = ProcessId.of(process.pid) or ProcessId(process.pid, 0)
    try:
        lab.run.update(lambda state: state["processes"].__setitem__(key, {**identity.to_json(), "argv": argv,
                                                                         "exit": None}))
    except FileNotFoundError:  # the lab went down meanwhile
        process.terminate()
    try:
        status = _wait(process)
    finally:
        _forget(lab, key)
    if out != "-":
        trim_ring(out, files)
    return status


def _wait(process: subprocess.Popen) -> int:
    """Ctrl-C reaches the tool too (one process group): it flushes and stops; we wait for that."""
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)


def _forget(lab, key: str) -> None:
    try:
        lab.run.update(lambda state: state["processes"].pop(key, None))
    except FileNotFoundError:
        pass
