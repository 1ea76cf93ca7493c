"""topology.rules.static: runs every static check on a schema-valid topology, before anything is created."""
from __future__ import annotations

from testbed.topology.rules.addressing import plan_addresses
from testbed.topology.rules.capture import check_captures
from testbed.topology.rules.check_targets import check_targets
from testbed.topology.rules.endpoints import check_endpoints
from testbed.topology.rules.findings import Finding
from testbed.topology.rules.hosts import check_hosts
from testbed.topology.rules.images import check_images
from testbed.topology.rules.link_types import check_link_types
from testbed.topology.rules.macs import check_macs
from testbed.topology.rules.netem import check_netem
from testbed.topology.rules.nics import check_nics
from testbed.topology.rules.routes import check_routes
from testbed.topology.rules.sleep import check_sleep
from testbed.topology.rules.sysctls import check_sysctls
from testbed.topology.rules.traffic_refs import check_traffic
from testbed.topology.schema import Topology


def static_findings(topology: Topology) -> list[Finding]:
    addresses = plan_addresses(topology)
    return [
        *check_endpoints(topology),
        *addresses.findings,
        *check_routes(topology, addresses),
        *check_macs(topology),
        *check_sysctls(topology),
        *check_images(topology),
        *check_nics(topology),
        *check_targets(topology, addresses),
        *check_traffic(topology),
        *check_hosts(topology),
        *check_captures(topology),
        *check_link_types(topology),
        *check_netem(topology),
        *check_sleep(topology),
    ]
