"""conftest: shared fixtures: privilege gates (fail, not skip, under CI=true) and throwaway namespaces with a TAP."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
_counter = itertools.count()


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (CI=true: a missing capability is a failure, not a skip)")
    pytest.skip(what)


@pytest.fixture
def root():
    if os.geteuid() != 0:
        _missing("needs root")


@pytest.fixture
def kvm(root):
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        _missing("needs /dev/kvm")


def unique_suffix() -> str:
    """Short and unique across xdist workers and concurrent runs: pid plus a counter."""
    return f"{os.getpid() % 100000}{next(_counter)}"


@dataclass(frozen=True)
class TapNamespace:
    netns: str
    tap: str
    host_ip: str
    guest_ip: str
    prefix: int


@pytest.fixture
def tap_ns(root):
    """A throwaway network namespace holding a TAP (up, with host_ip) for a monitor to open."""
    from pyroute2 import NetNS, netns

    suffix = unique_suffix()
    name, tap = f"tbt-{suffix}", f"tbt{suffix}"
    netns.create(name)
    try:
        with NetNS(name) as ns:
            ns.link("add", ifname=tap, kind="tuntap", mode="tap")
            index = ns.link_lookup(ifname=tap)[0]
            ns.addr("add", index=index, address="10.77.0.1", prefixlen=24)
            ns.link("set", index=index, state="up")
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
        yield TapNamespace(netns=name, tap=tap, host_ip="10.77.0.1", guest_ip="10.77.0.2", prefix=24)
    finally:
        netns.remove(name)  # takes the TAP with it
