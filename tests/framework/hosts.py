"""framework.hosts: emulated hosts for the tests of labs that span hosts (the product's testbed.cluster.emulated)."""
from testbed.cluster.emulated import EmulatedHosts

__all__ = ["EmulatedHosts"]
