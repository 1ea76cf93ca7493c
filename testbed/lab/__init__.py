"""lab: the programmatic API that walks a topology through the stages (load, plan, apply, run, down): Lab."""
from testbed.lab.lifecycle import Lab
from testbed.topology.load import load_topology

__all__ = ["Lab", "load_topology"]
