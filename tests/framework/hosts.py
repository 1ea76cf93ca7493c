"""framework.hosts: emulated hosts for the tests of labs that span hosts (the product's testbed.cluster.emulated),
and the fixture that makes them and removes them."""
from __future__ import annotations

import itertools

import pytest

from testbed.cluster.emulated import EmulatedHosts

__all__ = ["EmulatedHosts", "emulated_hosts"]
_tags = itertools.count()


@pytest.fixture
def emulated_hosts(root, state_root, run_prefix):
    """emulated_hosts(*names) -> EmulatedHosts made now (state directories under the test's state root), removed
    with their namespaces at the end."""
    made: list[EmulatedHosts] = []

    def make(*names: str) -> EmulatedHosts:
        tag = f"{run_prefix}-{next(_tags)}"  # the worker and run in it: apart under xdist
        made.append(EmulatedHosts(tag, state_root / "hosts", list(names), underlay_octet=60 + len(made)).create())
        return made[-1]

    yield make
    for hosts in made:
        hosts.remove()
