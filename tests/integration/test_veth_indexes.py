"""Veth ends are born with the interface index the plan gave them, so configuring a namespace needs no dump."""
from __future__ import annotations

from pyroute2 import NetNS

from framework.lab import NETNS_PAIR
from testbed.apply.links import FIRST_VETH_INDEX
from testbed.lab import Lab


def test_veth_ends_have_the_indexes_given_at_birth_and_their_addresses(root, state_root, run_prefix):
    with Lab.up(NETNS_PAIR, name_prefix=run_prefix) as lab:
        for node, address in (("left", "10.0.1.1"), ("right", "10.0.1.2")):
            with NetNS(lab.plan.node(node).namespace) as ns:
                (eth0,) = ns.get_links(ifname="eth0")
                assert eth0["index"] == FIRST_VETH_INDEX
                assert [a.get_attr("IFA_ADDRESS") for a in ns.get_addr(index=eth0["index"], family=2)] == [address]
        assert lab.ping("left", "right", count=3, interval=0.02).received == 3
