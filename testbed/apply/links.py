"""apply.links: creates a plan's namespaces, bridges, veths, TAPs, addresses, qdiscs, routes and sysctls in order."""
from __future__ import annotations

import os
from collections.abc import Callable

from testbed.apply import namespaces, nsenter, pause
from testbed.apply.handles import Handles
from testbed.plan.model import Plan

Recorder = Callable[[str, list[dict]], None]  # record(kind, [fields, ...]): write-ahead, before any of them exists
Forgetter = Callable[..., None]  # forget(kind, **fields)
LOOPBACK_INDEX = 1
NAMESPACE_WORKERS = 4
TBF_LATENCY = "50ms"
MIN_BURST_BYTES = 4096


def apply(plan: Plan, record: Recorder, handles: Handles, forget: Forgetter | None = None,
          mark: Callable[[str], None] = lambda phase: None) -> None:
    """record(kind, [fields, ...]) writes a kind's objects ahead of creating them, in one state write;
    forget(kind, **fields) withdraws a record when creation proved the name was someone else's;
    mark(phase) is called as each kind of object is done (the lab's phase timings)."""
    _create_namespaces(plan, record, forget)
    mark("namespaces")
    pause.point("namespaces")
    for namespace in plan.namespaces:  # lo is always ifindex 1 in a new namespace: no lookup
        handles[namespace.name].link("set", index=LOOPBACK_INDEX, state="up")
    mark("loopbacks")
    record("bridge", [{"namespace": b.namespace, "ifname": b.ifname} for b in plan.bridges])
    for bridge in plan.bridges:
        handles[bridge.namespace].link("add", ifname=bridge.ifname, kind="bridge", state="up")
    mark("bridges")
    record("veth", [{"namespace": v.namespace, "ifname": v.ifname, "peer_namespace": v.peer_namespace,
                     "peer_ifname": v.peer_ifname} for v in plan.veths])
    for veth in plan.veths:
        _add_veth(handles, veth)
    mark("veths")
    record("tap", [{"namespace": t.namespace, "ifname": t.ifname} for t in plan.taps])
    for tap in plan.taps:
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


def _create_namespaces(plan: Plan, record: Recorder, forget: Forgetter | None) -> None:
    """All recorded first, then made from several threads; a name that already existed is someone else's."""
    record("netns", [{"name": n.name, "node": n.node} for n in plan.namespaces])
    failures = namespaces.create_all([n.name for n in plan.namespaces], workers=NAMESPACE_WORKERS)
    if not failures:
        return
    nodes = {n.name: n.node for n in plan.namespaces}
    for name, error in failures:
        if isinstance(error, FileExistsError) and forget:  # not ours: the rollback must not remove it
            forget("netns", name=name, node=nodes[name])
    raise failures[0][1]


def _add_veth(handles: Handles, veth) -> None:
    """Create the pair in one namespace with the peer born in the other, so no name ever exists in the root
    namespace; this end is born up with its MTU, the peer born with its MTU and set up by name (no lookups)."""
    fd = os.open(nsenter.netns_path(veth.peer_namespace), os.O_RDONLY | os.O_CLOEXEC)
    peer = {"ifname": veth.peer_ifname, "net_ns_fd": fd, **({"mtu": veth.mtu} if veth.mtu else {})}
    try:
        handles[veth.namespace].link("add", ifname=veth.ifname, kind="veth", state="up", peer=peer,
                                     **({"mtu": veth.mtu} if veth.mtu else {}))
    finally:
        os.close(fd)
    if veth.master:
        _configure(handles, veth.namespace, veth.ifname, None, veth.master)
    if veth.peer_master:
        _configure(handles, veth.peer_namespace, veth.peer_ifname, None, veth.peer_master)
    else:
        handles[veth.peer_namespace].link("set", ifname=veth.peer_ifname, state="up")


def _configure(handles: Handles, namespace: str, ifname: str, mtu: int | None, master: str | None) -> None:
    index = handles.index(namespace, ifname)
    changes = {"state": "up"}
    if mtu:
        changes["mtu"] = mtu
    if master:
        changes["master"] = handles.index(namespace, master)
    handles[namespace].link("set", index=index, **changes)


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
