"""topology.rules.sysctls: a netns node's sysctls are per-namespace (net.*) and exist on this kernel."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Topology

PROC_SYS = Path("/proc/sys")
# net.ipv4.conf.eth0.rp_filter names an interface that exists only inside the node: check the template instead.
PER_INTERFACE_RE = re.compile(r"^(net\.ipv[46]\.(?:conf|neigh))\.([^.]+)\.(.+)$")


def check_sysctls(topology: Topology) -> Iterator[Finding]:
    ifnames = _ifnames_by_node(topology)  # once: a scan of every link per node is quadratic at 10,000 nodes
    for name, node in topology.nodes.items():
        if node.kind != "netns":
            continue
        for key in node.sysctls:
            problem = sysctl_problem(key, ifnames.get(name, set()))
            if problem:
                yield Finding(("nodes", name, "sysctls", key), problem, at_key=True)


def _ifnames_by_node(topology: Topology) -> dict[str, set[str]]:
    ifnames: dict[str, set[str]] = defaultdict(set)
    for link in topology.links:
        for end in link.endpoints:
            ifnames[end.node].add(end.ifname)
    return ifnames


def sysctl_problem(key: str, ifnames: set[str]) -> str | None:
    dotted = key.replace("/", ".")
    if not dotted.startswith("net."):
        return (f"{key} is not per network namespace: set in a node it would change the host "
                "(only net.* sysctls belong to a node)")
    per_interface = PER_INTERFACE_RE.match(dotted)
    if per_interface and per_interface[2] in ifnames:
        dotted = f"{per_interface[1]}.default.{per_interface[3]}"
    if not (PROC_SYS / dotted.replace(".", "/")).exists():
        return f"this kernel has no sysctl {key}"
    return None
