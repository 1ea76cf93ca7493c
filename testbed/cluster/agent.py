"""cluster.agent: one host's side of a lab that spans hosts: bring up its part, tunnel to the others, answer for it.

The orchestrator reaches it through an execnet gateway (testbed.cluster.remote runs `serve`). Each part is an
ordinary run under this host's state directory (so `testbed down --all` here removes it), marked with its cluster
and host (cluster.json), and kept alive by a lease the orchestrator renews; a keeper process takes it down when
the lease lapses, so a dead orchestrator leaves nothing behind.
"""
from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path

from testbed.cluster import lease
from testbed.cluster.partition import Tunnel
from testbed.down import state
from testbed.errors import LabError, TopologyError


class Agent:
    def __init__(self) -> None:
        self.runs: dict[str, float] = {}  # part run id -> lease seconds, for renewals

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            raise LabError(f"agent: no operation {op!r}")
        return handler(request)

    def op_hello(self, request: dict) -> dict:
        import testbed

        return {"hostname": socket.gethostname(), "pid": os.getpid(), "state_dir": str(state.root()),
                "version": getattr(testbed, "__version__", "")}

    def op_up(self, request: dict) -> dict:
        """Bring up the part; on any failure nothing of it stays (Lab.up rolls back; tunnels die with their
        namespaces)."""
        from testbed.lab.lifecycle import Lab

        started = time.monotonic()
        path = _topology_file(request["topology"])
        try:
            lab = Lab.up(path, name_prefix=request["prefix"])
        except TopologyError as exc:  # e.g. an image path that exists on the orchestrator but not here
            raise LabError(f"its part is not valid here: {'; '.join(_unlocated(p, path) for p in exc.problems)}") \
                from None
        finally:
            path.unlink()
        try:
            lease.write_owner(lab.run, {"cluster": request["cluster"], "host": request["host"],
                                        "orchestrator": request.get("orchestrator")})
            lease.grant(lab.run, request["lease_seconds"])
            keeper = lease.start_keeper(lab.run)  # before anything else can fail: from here the lease holds
            _add_tunnels(lab, [Tunnel(**t) for t in request["tunnels"]])
            lab.detach()  # the part outlives this process; the keeper, not the gateway, decides its end
        except BaseException:
            lab.down()
            raise
        self.runs[lab.run_id] = request["lease_seconds"]
        return {"run_id": lab.run_id, "keeper": keeper, "seconds": time.monotonic() - started,
                "timings": lab.timings.phases}

    def op_renew(self, request: dict) -> dict:
        renewed = []
        for run_id, seconds in self.runs.items():
            run = state.RunDir.for_run(run_id)
            if run.exists():
                lease.grant(run, seconds)
                renewed.append(run_id)
        return {"renewed": renewed}

    def op_check(self, request: dict) -> dict:
        from testbed.lab.lifecycle import Lab

        result = Lab.attach(request["run_id"]).check(request["check"])
        return {"result": result.model_dump(mode="json")}

    def op_exec(self, request: dict) -> dict:
        from testbed.lab.lifecycle import Lab

        done = Lab.attach(request["run_id"]).exec(request["node"], request["argv"], timeout=request.get("timeout"))
        return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    def op_down(self, request: dict) -> dict:
        from testbed.lab.lifecycle import Lab

        run = state.RunDir.for_run(request["run_id"])
        self.runs.pop(request["run_id"], None)
        if not run.exists():
            return {"problems": []}
        return {"problems": Lab.attach(request["run_id"]).down()}


def serve(channel) -> None:
    """Answer requests until the orchestrator closes the channel (or dies: then the leases decide)."""
    agent = Agent()
    for request in channel:
        try:
            reply = {"ok": agent.handle(request)}
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the orchestrator, named
            reply = {"error": str(exc) or type(exc).__name__}
        channel.send(reply)


def _topology_file(topology: dict) -> Path:
    """JSON is YAML: the part as a file, so it loads (and is validated) like any topology. Removed after up."""
    handle, name = tempfile.mkstemp(prefix="tb-part-", suffix=".yaml")
    with os.fdopen(handle, "w") as f:
        json.dump(topology, f)
    return Path(name)


def _unlocated(problem: str, path: Path) -> str:
    """FILE:LINE:COL of the part's temporary file mean nothing to the user: keep the field and the message."""
    if problem.startswith(f"{path}:"):
        return problem[len(f"{path}:"):].split(": ", 1)[-1]
    return problem


def _add_tunnels(lab, tunnels: list[Tunnel]) -> None:
    from testbed.cluster.vxlan import add_tunnel, device_name

    bridges = {bridge.namespace: bridge.ifname for bridge in lab.plan.bridges}
    lab.run.record_all("vxlan", [{"namespace": lab.plan.node(t.bridge_node).namespace, "ifname": device_name(t),
                                  "vni": t.vni, "remote": t.remote} for t in tunnels])
    for tunnel in tunnels:
        namespace = lab.plan.node(tunnel.bridge_node).namespace
        add_tunnel(tunnel, namespace, bridges[namespace])

