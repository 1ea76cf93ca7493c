"""validation.static: runs every static check on a schema-valid topology, before anything is created."""
from __future__ import annotations

from testbed.schema import Topology
from testbed.validation.addressing import plan_addresses
from testbed.validation.check_targets import check_targets
from testbed.validation.endpoints import check_endpoints
from testbed.validation.findings import Finding
from testbed.validation.images import check_images
from testbed.validation.macs import check_macs
from testbed.validation.nics import check_nics
from testbed.validation.routes import check_routes
from testbed.validation.sysctls import check_sysctls
from testbed.validation.traffic_refs import check_traffic


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
    ]
