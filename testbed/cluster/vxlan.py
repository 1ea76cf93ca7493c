"""cluster.vxlan: a tunnel end: a VXLAN device whose socket is in the agent's (underlay) namespace, on a bridge in a node's."""
from __future__ import annotations

import os

from pyroute2 import IPRoute

from testbed.apply import namespaces
from testbed.apply.nsenter import netns_path
from testbed.cluster.partition import VXLAN_PORT, Tunnel
from testbed.errors import LabError


def device_name(tunnel: Tunnel) -> str:
    return f"vxl{tunnel.link}"[:15]


def add_tunnel(tunnel: Tunnel, namespace: str, bridge: str) -> None:
    """Made here, so its UDP socket binds the underlay, and born in the node's namespace (the kernel keeps the
    socket where the device was made); then made a port of the bridge and set up from inside."""
    name = device_name(tunnel)
    fd = os.open(netns_path(namespace), os.O_RDONLY | os.O_CLOEXEC)
    try:
        with IPRoute() as ip:
            ip.link("add", ifname=name, kind="vxlan", vxlan_id=tunnel.vni, vxlan_local=tunnel.local,
                    vxlan_group=tunnel.remote, vxlan_port=VXLAN_PORT, vxlan_learning=1, mtu=tunnel.mtu,
                    net_ns_fd=fd)
    except Exception as exc:  # noqa: BLE001 - pyroute2's NetlinkError and OSError alike: say which tunnel
        raise LabError(f"link {tunnel.link}: VXLAN {tunnel.vni} to {tunnel.remote}: {exc}") from None
    finally:
        os.close(fd)
    with namespaces.inside(namespace), IPRoute() as ip:
        index, master = ip.link_lookup(ifname=name)[0], ip.link_lookup(ifname=bridge)[0]
        ip.link("set", index=index, master=master, state="up")
