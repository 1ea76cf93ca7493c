"""pytest_plugin.gates: a lab needs root (and /dev/kvm for unikernel nodes): skip without them, fail under CI=true."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(topology: Path, overrides: dict | None) -> None:
    if os.geteuid() != 0:
        _missing("testbed labs need root (namespaces, TAPs)")
    if _has_unikernels(topology, overrides) and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        _missing("unikernel nodes need /dev/kvm")


def _missing(what: str) -> None:
    if in_ci():  # a CI machine without the capability must not pass by skipping everything
        pytest.fail(f"{what} (CI=true: a missing capability is a failure, not a skip)", pytrace=False)
    pytest.skip(what)


def _has_unikernels(topology: Path, overrides: dict | None) -> bool:
    from testbed.lab import load_topology

    return any(node.kind == "unikernel" for node in load_topology(topology, overrides).nodes.values())
