"""run.traffic.neighbours: permanent neighbour (and bridge forwarding) entries for guests, whose MACs the plan fixes."""
from __future__ import annotations

NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NTF_MASTER = 0x04  # the entry belongs to the bridge's forwarding table (`bridge fdb add ... master`)


def guest_facing(lab, source: str, guest: str):
    """(source's interface, guest NIC) on the segment source shares with the unikernel guest; None if not a guest."""
    monitor = lab.plan.monitor(guest) if guest in lab.nodes else None
    if monitor is None:
        return None
    guest_node = lab.plan.node(guest)
    for nic in monitor.nics:
        interface = next(i for i in guest_node.interfaces if i.name == nic.name)
        segment = {guest, interface.peer.node}  # the guest itself, or the bridge it is on
        for mine in lab.plan.node(source).interfaces:
            if mine.peer.node in segment:
                return mine.name, nic
    return None


def pin_guest_neighbour(lab, source: str, guest: str, address: str) -> None:
    facing = guest_facing(lab, source, guest)
    if facing is None:
        return
    ifname, nic = facing
    from pyroute2 import IPRoute

    from testbed.apply import nsenter

    def pin() -> None:
        with IPRoute() as ipr:
            index = ipr.link_lookup(ifname=ifname)[0]
            ipr.neigh("replace", dst=address, lladdr=nic.mac, ifindex=index, state=NUD_PERMANENT)

    def pin_port() -> None:
        with IPRoute() as ipr:
            index = ipr.link_lookup(ifname=nic.tap)[0]
            ipr.fdb("replace", ifindex=index, lladdr=nic.mac, state=NUD_NOARP, flags=NTF_MASTER)

    nsenter.call_in(lab.plan.node(source).namespace, pin)
    tap = next((t for t in lab.plan.taps if t.ifname == nic.tap and t.namespace == nic.tap_namespace), None)
    if tap is not None and tap.master is not None:
        # Without ARP the bridge never learns the guest's port and floods every frame to every guest.
        nsenter.call_in(nic.tap_namespace, pin_port)
