"""apply.links: creates a plan's namespaces, bridges, veths, TAPs, addresses, qdiscs, routes and sysctls in order."""
from __future__ import annotations

import os
from collections.abc import Callable

from testbed.apply import namespaces, nsenter, pause
from testbed.apply.handles import Handles
from testbed.plan.model import Plan

Recorder = Callable[..., None]  # record(kind, **fields): write-ahead, called before each object exists
TBF_LATENCY = "50ms"
MIN_BURST_BYTES = 4096


def apply(plan: Plan, record: Recorder, handles: Handles, forget: Recorder | None = None,
          mark: Callable[[str], None] = lambda phase: None) -> None:
    """forget(kind, **fields) withdraws a record when creation proved the name was someone else's;
    mark(phase) is called as each kind of object is done (the lab's phase timings)."""
    for namespace in plan.namespaces:
        record("netns", name=namespace.name, node=namespace.node)
        try:
            namespaces.create(namespace.name)
        except FileExistsError:  # not ours: the rollback must not remove it
            if forget:
                forget("netns", name=namespace.name, node=namespace.node)
            raise
    mark("namespaces")
    pause.point("namespaces")
    for namespace in plan.namespaces:
        _set_up(handles, namespace.name, "lo")
    mark("loopbacks")
    for bridge in plan.bridges:
        record("bridge", namespace=bridge.namespace, ifname=bridge.ifname)
        handles[bridge.namespace].link("add", ifname=bridge.ifname, kind="bridge")
        _set_up(handles, bridge.namespace, bridge.ifname)
    mark("bridges")
    for veth in plan.veths:
        _add_veth(handles, record, veth)
    mark("veths")
    for tap in plan.taps:
        record("tap", namespace=tap.namespace, ifname=tap.ifname)
        handle = handles[tap.namespace]
        with namespaces.inside(tap.namespace):  # pyroute2 opens /dev/net/tun in the calling thread's namespace
            handle.link("add", ifname=tap.ifname, kind="tuntap", mode="tap")
        _configure(handles, tap.namespace, tap.ifname, tap.mtu, tap.master)
    mark("taps")
    for address in plan.addresses:
        ip, prefix = address.address.split("/")
        handles[address.namespace].addr("add", index=handles.index(address.namespace, address.ifname),
                                        address=ip, prefixlen=int(prefix))
    mark("addresses")
    for limit in plan.rate_limits:
        handles[limit.namespace].tc("add", "tbf", index=handles.index(limit.namespace, limit.ifname),
                                    rate=limit.rate, burst=_burst(limit.rate), latency=TBF_LATENCY)
    mark("rate limits")
    for route in plan.routes:
        dst = "0.0.0.0/0" if route.dst == "default" else route.dst
        handles[route.namespace].route("add", dst=dst, gateway=route.via)
    mark("routes")
    for sysctl in plan.sysctls:
        nsenter.call_in(sysctl.namespace, lambda s=sysctl: _write_sysctl(s.key, s.value))
    mark("sysctls")


def _add_veth(handles: Handles, record: Recorder, veth) -> None:
    """Create the pair in one namespace with the peer born in the other, so no name ever exists in the root namespace."""
    record("veth", namespace=veth.namespace, ifname=veth.ifname,
           peer_namespace=veth.peer_namespace, peer_ifname=veth.peer_ifname)
    fd = os.open(nsenter.netns_path(veth.peer_namespace), os.O_RDONLY | os.O_CLOEXEC)
    try:
        handles[veth.namespace].link("add", ifname=veth.ifname, kind="veth",
                                     peer={"ifname": veth.peer_ifname, "net_ns_fd": fd})
    finally:
        os.close(fd)
    _configure(handles, veth.namespace, veth.ifname, veth.mtu, veth.master)
    _configure(handles, veth.peer_namespace, veth.peer_ifname, veth.mtu, veth.peer_master)


def _configure(handles: Handles, namespace: str, ifname: str, mtu: int | None, master: str | None) -> None:
    index = handles.index(namespace, ifname)
    changes = {"state": "up"}
    if mtu:
        changes["mtu"] = mtu
    if master:
        changes["master"] = handles.index(namespace, master)
    handles[namespace].link("set", index=index, **changes)


def _set_up(handles: Handles, namespace: str, ifname: str) -> None:
    handles[namespace].link("set", index=handles.index(namespace, ifname), state="up")


def _write_sysctl(key: str, value: str) -> None:
    with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
        f.write(value)


def _burst(rate: str) -> int:
    """tbf needs a bucket of at least rate/HZ bytes; 10 ms worth of traffic, never below a few frames."""
    from testbed.topology.schema import RATE_RE

    number, unit = RATE_RE.match(rate).groups()
    scale = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9}
    bits_per_second = float(number) * scale[(unit or "bit").lower()]
    return max(MIN_BURST_BYTES, int(bits_per_second / 8 / 100))
