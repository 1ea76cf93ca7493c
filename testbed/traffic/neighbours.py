"""traffic.neighbours: permanent neighbour entries for guests, whose MACs the plan fixes (pyroute2, no `ip`)."""
from __future__ import annotations

NUD_PERMANENT = 0x80


def guest_facing(lab, source: str, guest: str) -> tuple[str, str] | None:
    """(source's interface, guest MAC) for the segment source shares with the unikernel guest; None if not a guest."""
    monitor = lab.plan.monitor(guest) if guest in lab.nodes else None
    if monitor is None:
        return None
    guest_node = lab.plan.node(guest)
    for nic in monitor.nics:
        interface = next(i for i in guest_node.interfaces if i.name == nic.name)
        segment = {guest, interface.peer.partition(":")[0]}  # the guest itself, or the bridge it is on
        for mine in lab.plan.node(source).interfaces:
            if mine.peer.partition(":")[0] in segment:
                return mine.name, nic.mac
    return None


def pin_guest_neighbour(lab, source: str, guest: str, address: str) -> None:
    facing = guest_facing(lab, source, guest)
    if facing is None:
        return
    ifname, mac = facing
    from pyroute2 import IPRoute

    from testbed import nsenter

    def pin() -> None:
        with IPRoute() as ipr:
            index = ipr.link_lookup(ifname=ifname)[0]
            ipr.neigh("replace", dst=address, lladdr=mac, ifindex=index, state=NUD_PERMANENT)

    nsenter.call_in(lab.plan.node(source).namespace, pin)
