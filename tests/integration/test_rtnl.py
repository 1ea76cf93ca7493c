"""apply.rtnl against the kernel: a batch of veths, ups, addresses and routes lands as asked; a refused request names itself."""
from __future__ import annotations

import os
import socket

import pytest

from framework.fixtures import unique_suffix
from testbed.apply import namespaces, nsenter, rtnl


@pytest.fixture
def two_namespaces(root):
    names = [f"tbrtnl-{unique_suffix()}-{side}" for side in ("a", "b")]
    try:
        for name in names:
            namespaces.create(name)
        yield names
    finally:
        for name in names:
            namespaces.remove(name)


def _link_state(namespace: str) -> dict[str, tuple[int, bool]]:
    from pyroute2 import IPRoute

    with namespaces.inside(namespace):
        handle = IPRoute()
    with handle:
        return {link.get_attr("IFLA_IFNAME"): (link.get_attr("IFLA_MTU"), bool(link["flags"] & 1))
                for link in handle.get_links()}


def _routes(namespace: str) -> set[tuple[str | None, str | None]]:
    from pyroute2 import IPRoute

    with namespaces.inside(namespace):
        handle = IPRoute()
    with handle:
        return {(r.get_attr("RTA_DST"), r.get_attr("RTA_GATEWAY")) for r in handle.get_routes(family=socket.AF_INET)}


def test_a_batch_makes_veths_in_place_then_ups_addresses_and_routes(two_namespaces):
    a, b = two_namespaces
    fds = [os.open(nsenter.netns_path(name), os.O_RDONLY | os.O_CLOEXEC) for name in (a, b)]
    try:
        veths = rtnl.Batch()
        veths.add_veth("left", fds[0], "right", fds[1], 1400)
        with rtnl.Socket(None) as sock:
            sock.send_batch(veths)
    finally:
        for fd in fds:
            os.close(fd)
    assert _link_state(a)["left"] == (1400, True)  # born up, in place
    assert _link_state(b)["right"] == (1400, False)  # a peer cannot be born up
    with rtnl.Socket(b) as sock:
        indexes = sock.link_indexes()
        assert set(indexes) == {"lo", "right"} and indexes["lo"] == 1
        batch = rtnl.Batch()
        batch.set_up(indexes["right"], "right")
        batch.add_address(indexes["right"], "right", "10.77.0.2/30")
        batch.add_route("10.78.0.0/24", "10.77.0.1")
        batch.add_route("default", "10.77.0.1")
        sock.send_batch(batch)
    assert _link_state(b)["right"] == (1400, True)
    assert {("10.78.0.0", "10.77.0.1"), (None, "10.77.0.1")} <= _routes(b)


def test_a_refused_request_raises_naming_it_and_the_rest_of_its_send_still_applies(two_namespaces):
    a, _ = two_namespaces
    with rtnl.Socket(a) as sock:
        batch = rtnl.Batch()
        batch.add_address(1, "lo", "10.79.0.1/32")
        batch.add_address(1, "lo", "10.79.0.1/32")  # again: EEXIST
        batch.set_up(1, "lo")
        with pytest.raises(OSError, match=r"adding 10\.79\.0\.1/32 to lo: File exists"):
            sock.send_batch(batch)
        assert sock.link_indexes() == {"lo": 1}  # every acknowledgement was read: the socket still works
    assert _link_state(a)["lo"][1]
