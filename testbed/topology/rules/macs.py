"""topology.rules.macs: a unikernel's MACs name its NICs, are unicast, and are unique across the topology."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Topology
from testbed.topology.source import DataPath


def check_macs(topology: Topology) -> Iterator[Finding]:
    first_use: dict[str, DataPath] = {}
    for name, node in topology.nodes.items():
        if node.kind != "unikernel":
            continue
        nics = [end.ifname for link in topology.links for end in link.endpoints if end.node == name]
        for nic, mac in node.macs.items():
            path = ("nodes", name, "macs", nic)
            if nic not in nics:
                yield Finding(path, f"{name} has no link on {nic!r} (its links use: {', '.join(nics) or 'none'})",
                              at_key=True)
            problem = mac_problem(mac)
            if problem:
                yield Finding(path, f"{mac}: {problem}")
            key = mac.lower()
            if key in first_use:
                yield Finding(path, f"MAC {mac} is already used: every NIC needs its own", see=first_use[key])
            first_use.setdefault(key, path)


def mac_problem(mac: str) -> str | None:
    first_octet = int(mac.split(":")[0], 16)
    if first_octet & 1:
        return "a multicast address can't be a NIC's: the first byte must be even (e.g. 02:...)"
    if mac.replace(":", "").strip("0") == "":
        return "the all-zero MAC is not a valid NIC address"
    return None
