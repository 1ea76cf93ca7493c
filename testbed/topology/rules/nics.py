"""topology.rules.nics: a unikernel's links match its image's manifest: no unknown device, none left unattached."""
from __future__ import annotations

from collections.abc import Iterator

from testbed.topology.rules.endpoints import MANIFEST_NAME_RE
from testbed.topology.rules.findings import Finding
from testbed.topology.rules.images import resolve
from testbed.topology.rules.manifest import manifest_nics
from testbed.topology.schema import Topology


def check_nics(topology: Topology) -> Iterator[Finding]:
    """The monitor refuses both mistakes at start; finding them here means nothing gets created first."""
    for name, node in topology.nodes.items():
        if node.kind != "unikernel":
            continue
        image = resolve(node.image)
        declared = manifest_nics(image) if image is not None else None
        if declared is None:
            continue  # no image, or no manifest to read: reported elsewhere or by the monitor
        linked = [(index, position, end.ifname) for index, link in enumerate(topology.links)
                  for position, end in enumerate(link.endpoints) if end.node == name]
        misnamed = [(i, p, nic) for i, p, nic in linked if nic not in declared]
        for index, position, nic in misnamed:
            if MANIFEST_NAME_RE.match(nic):  # a malformed name is reported by the endpoint checks
                yield Finding(("links", index, "endpoints", position), f"{node.image}'s manifest has no device "
                              f"{nic!r} (it declares: {', '.join(declared) or 'none'})")
        if misnamed or _some_endpoint_names_an_unknown_node(topology):
            continue  # a misnamed device or a node name typo explains the missing one: say it once
        attached = {nic for *_, nic in linked}
        for nic in declared:
            if nic not in attached:
                yield Finding(("nodes", name), f"{node.image} needs its network device {nic!r} attached: "
                              f"add a link to {name}:{nic}")


def _some_endpoint_names_an_unknown_node(topology: Topology) -> bool:
    return any(end.node not in topology.nodes for link in topology.links for end in link.endpoints)
