"""apply.links: creates a plan's namespaces, bridges, veths, TAPs, addresses, qdiscs, routes and sysctls in order."""
from __future__ import annotations

import os
from collections.abc import Callable

from testbed.apply import namespaces, netem, nsenter, pause, rtnl
from testbed.apply.handles import Handles
from testbed.plan.model import Plan

Recorder = Callable[[str, list[dict]], None]  # record(kind, [fields, ...]): write-ahead, before any of them exists
Forgetter = Callable[..., None]  # forget(kind, **fields)
LOOPBACK_INDEX = 1
FIRST_VETH_INDEX = 1000  # veth ends get their index at birth, above any a new namespace gives itself (lo, tunnels)
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
    record("bridge", [{"namespace": b.namespace, "ifname": b.ifname} for b in plan.bridges])
    for bridge in plan.bridges:
        handles[bridge.namespace].link("add", ifname=bridge.ifname, kind="bridge", state="up")
    mark("bridges")
    record("veth", [{"namespace": v.namespace, "ifname": v.ifname, "peer_namespace": v.peer_namespace,
                     "peer_ifname": v.peer_ifname} for v in plan.veths])
    veth_indexes = _veth_indexes(plan.veths)
    _add_veths(plan.veths, veth_indexes)
    mark("veths")
    record("tap", [{"namespace": t.namespace, "ifname": t.ifname} for t in plan.taps])
    for tap in plan.taps:
        handle = handles[tap.namespace]
        with namespaces.inside(tap.namespace):  # pyroute2 opens /dev/net/tun in the calling thread's namespace
            handle.link("add", ifname=tap.ifname, kind="tuntap", mode="tap")
    mark("taps")
    _configure_namespaces(plan, veth_indexes)
    mark("interfaces up, addresses, routes")
    for limit in plan.rate_limits:
        handles[limit.namespace].tc("add", "tbf", index=handles.index(limit.namespace, limit.ifname),
                                    rate=limit.rate, burst=_burst(limit.rate), latency=TBF_LATENCY)
    mark("rate limits")
    for qdisc in plan.netem:  # on veths of the run's namespaces: they go with them
        netem.add(qdisc)
    mark("netem")
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


def _veth_indexes(veths) -> dict[str, dict[str, int]]:
    """Per namespace, the index each veth end is born with: known before they exist, so configuring a namespace
    needs no dump of its links (parsing one took half of configuring 10,000 namespaces)."""
    indexes: dict[str, dict[str, int]] = {}
    for veth in veths:
        for namespace, ifname in ((veth.namespace, veth.ifname), (veth.peer_namespace, veth.peer_ifname)):
            own = indexes.setdefault(namespace, {})
            own[ifname] = FIRST_VETH_INDEX + len(own)
    return indexes


def _add_veths(veths, indexes: dict[str, dict[str, int]]) -> None:
    """Every pair sent from our own namespace in batches, each end born in its own namespace with its MTU: no
    name ever exists in the root namespace, and no per-namespace socket is needed. Namespace files are opened
    per batch (a batch's worth of descriptors at a time, however many namespaces)."""
    for start in range(0, len(veths), rtnl.MAX_PER_SEND):
        chunk = veths[start:start + rtnl.MAX_PER_SEND]
        fds: dict[str, int] = {}
        try:
            batch = rtnl.Batch()
            for veth in chunk:
                for name in (veth.namespace, veth.peer_namespace):
                    if name not in fds:
                        fds[name] = os.open(nsenter.netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
                batch.add_veth(veth.ifname, fds[veth.namespace], veth.peer_ifname, fds[veth.peer_namespace], veth.mtu,
                               (indexes[veth.namespace][veth.ifname], indexes[veth.peer_namespace][veth.peer_ifname]))
            with rtnl.Socket(None) as sock:
                sock.send_batch(batch)
        finally:
            for fd in fds.values():
                os.close(fd)


Up = tuple[str, int | None, str | None]  # an interface to set up: name, MTU, bridge to join


def _configure_namespaces(plan: Plan, veth_indexes: dict[str, dict[str, int]]) -> None:
    """Per namespace, one batch of requests in one round trip: lo, veth peers and TAPs up (with their MTU and
    bridge), addresses, routes (in that order: a route's gateway must be on an interface that is up and
    addressed)."""
    ups: dict[str, list[Up]] = {n.name: [("lo", None, None)] for n in plan.namespaces}
    for veth in plan.veths:  # this end was born up: only a bridge to join (the peer could not be born up)
        if veth.master:
            ups[veth.namespace].append((veth.ifname, None, veth.master))
        ups[veth.peer_namespace].append((veth.peer_ifname, None, veth.peer_master))
    for tap in plan.taps:
        ups[tap.namespace].append((tap.ifname, tap.mtu, tap.master))
    addresses: dict[str, list] = {}
    for address in plan.addresses:
        addresses.setdefault(address.namespace, []).append(address)
    routes: dict[str, list] = {}
    for route in plan.routes:
        routes.setdefault(route.namespace, []).append(route)
    for namespace, interfaces in ups.items():
        _configure_namespace(namespace, interfaces, addresses.get(namespace, []), routes.get(namespace, []),
                             {"lo": LOOPBACK_INDEX, **veth_indexes.get(namespace, {})})


def _configure_namespace(namespace: str, interfaces: list[Up], addresses: list, routes: list,
                         known: dict[str, int]) -> None:
    with rtnl.Socket(namespace) as sock:
        # lo's and the veths' indexes are known; bridges and TAPs got theirs from the kernel: ask only for those.
        needed = {name for up in interfaces for name in up[::2] if name} | {a.ifname for a in addresses}
        indexes = known if needed <= known.keys() else sock.link_indexes()

        def index(ifname: str) -> int:
            if ifname not in indexes:
                raise LookupError(f"{namespace}: no interface {ifname!r}")
            return indexes[ifname]

        batch = rtnl.Batch()
        for ifname, mtu, master in interfaces:
            batch.set_up(index(ifname), ifname, mtu, index(master) if master else None)
        for address in addresses:
            batch.add_address(index(address.ifname), address.ifname, address.address)
        for route in routes:
            batch.add_route(route.dst, route.via)
        sock.send_batch(batch)


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
