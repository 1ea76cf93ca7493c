"""apply.netem: netem root qdiscs for `impair: {engine: netem}` links, and the probe that tells whether this kernel has
netem at all (asked before anything of a run is created).

pyroute2 (0.9) builds netem's options only as far as TCA_NETEM_RATE: no Gilbert-Elliott loss (TCA_NETEM_LOSS), no
delay distribution table, no 64-bit delay or rate. So the TCA_OPTIONS payload is packed here from the kernel's
structures (linux/pkt_sched.h), and the request goes out on a NETLINK_ROUTE socket opened in the interface's
namespace; pyroute2 parses the answer."""
from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
import threading
from statistics import NormalDist

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NLMSG_ERROR
from pyroute2.netlink.rtnl import RTM_NEWQDISC
from pyroute2.netlink.rtnl.marshal import MarshalRtnl

from testbed.apply import namespaces
from testbed.errors import LabError
from testbed.plan.netem import NetemParams, NetemQdisc

U32_MAX = 0xFFFFFFFF
TC_H_ROOT = 0xFFFFFFFF
TCA_KIND, TCA_OPTIONS = 1, 2
# enum TCA_NETEM_*
TCA_NETEM_DELAY_DIST, TCA_NETEM_REORDER, TCA_NETEM_CORRUPT, TCA_NETEM_LOSS, TCA_NETEM_RATE = 2, 3, 4, 5, 6
TCA_NETEM_RATE64, TCA_NETEM_LATENCY64, TCA_NETEM_JITTER64 = 8, 10, 11
NETEM_LOSS_GE = 2
NETEM_DIST_SCALE = 8192  # a table entry is a standard deviation times this
DIST_TABLE_SIZE = 4096
CLONE_NEWNET = 0x40000000
LOOPBACK_INDEX = 1
RECEIVE_BYTES = 1 << 16
NO_NETEM_HINT = "use engine: ours (the default), which needs no qdisc"


def probability(percent: float) -> int:
    """The kernel's fixed-point probability: 0 .. 2^32-1 for 0 .. 100%."""
    return round(percent / 100 * U32_MAX)


def options(params: NetemParams) -> bytes:
    """TCA_OPTIONS of a netem qdisc: struct tc_netem_qopt, then its attributes."""
    # tc_netem_qopt: latency and jitter (in ticks) are left 0: LATENCY64/JITTER64 below carry them in ns.
    gap = 1 if params.reorder else 0  # netem reorders only with a gap; 1: any delayed packet may be chosen
    loss = 0 if params.gilbert_elliott is not None else probability(params.loss)
    qopt = struct.pack("=6I", 0, params.limit, loss, gap, probability(params.duplicate), 0)
    attrs = [_attr(TCA_NETEM_LATENCY64, struct.pack("=q", params.delay_ns)),
             _attr(TCA_NETEM_JITTER64, struct.pack("=q", params.jitter_ns))]
    if params.reorder:
        attrs.append(_attr(TCA_NETEM_REORDER, struct.pack("=II", probability(params.reorder), 0)))
    if params.corrupt:
        attrs.append(_attr(TCA_NETEM_CORRUPT, struct.pack("=II", probability(params.corrupt), 0)))
    if (ge := params.gilbert_elliott) is not None:
        attrs.append(_attr(TCA_NETEM_LOSS, _attr(NETEM_LOSS_GE, gemodel(ge.p, ge.r, ge.bad_loss, ge.good_loss))))
    if params.rate_bps is not None:
        attrs += _rate(params.rate_bps)
    if params.jitter_ns and params.distribution == "normal":
        attrs.append(_attr(TCA_NETEM_DELAY_DIST, normal_table()))
    return qopt + b"".join(attrs)


def gemodel(p: float, r: float, bad_loss: float, good_loss: float) -> bytes:
    """struct tc_netem_gemodel {p, r, h, k1}. The kernel loses a packet in the bad state when a random u32 is above h,
    and in the good state when one is below k1: h is the chance of keeping it in the bad state."""
    return struct.pack("=4I", probability(p), probability(r), probability(100 - bad_loss), probability(good_loss))


def normal_table() -> bytes:
    """The normal distribution netem draws jitter from: quantiles of the standard normal at evenly spaced
    probabilities, in units of 1/NETEM_DIST_SCALE standard deviations (s16 each)."""
    normal = NormalDist()
    quantiles = (normal.inv_cdf((i + 0.5) / DIST_TABLE_SIZE) for i in range(DIST_TABLE_SIZE))
    return struct.pack(f"={DIST_TABLE_SIZE}h", *(round(q * NETEM_DIST_SCALE) for q in quantiles))


def _rate(bits_per_second: int) -> list[bytes]:
    """struct tc_netem_rate in bytes/s (no overheads); past 32 bits the u32 saturates and RATE64 carries it (the
    kernel refuses a RATE64 below 2^32)."""
    rate = bits_per_second // 8
    attrs = [_attr(TCA_NETEM_RATE, struct.pack("=IiIi", min(rate, U32_MAX), 0, 0, 0))]
    if rate > U32_MAX:
        attrs.append(_attr(TCA_NETEM_RATE64, struct.pack("=Q", rate)))
    return attrs


def _attr(kind: int, payload: bytes) -> bytes:
    header = struct.pack("=HH", 4 + len(payload), kind)
    return header + payload + b"\0" * (-len(payload) % 4)


def request(index: int, params: NetemParams, sequence: int = 1) -> bytes:
    """RTM_NEWQDISC: netem as the root qdisc of interface `index` (fails if it has one of ours already)."""
    tcmsg = struct.pack("=BBHiIII", socket.AF_UNSPEC, 0, 0, index, 0, TC_H_ROOT, 0)
    body = tcmsg + _attr(TCA_KIND, b"netem\0") + _attr(TCA_OPTIONS, options(params))
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    return struct.pack("=IHHII", 16 + len(body), RTM_NEWQDISC, flags, sequence, 0) + body


def _send(sock: socket.socket, message: bytes) -> int:
    """The request's errno (0: done), from the kernel's acknowledgement as pyroute2 parses it."""
    sock.sendall(message)
    sequence = struct.unpack_from("=I", message, 8)[0]
    marshal = MarshalRtnl()
    while True:
        for answer in marshal.parse(sock.recv(RECEIVE_BYTES)):
            if answer["header"]["type"] == NLMSG_ERROR and answer["header"]["sequence_number"] == sequence:
                return -answer["error"]


def _route_socket() -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
    sock.bind((0, 0))
    return sock


def add(qdisc: NetemQdisc) -> None:
    """The qdisc on its interface, or LabError naming the link, the interface and the kernel's answer."""
    with namespaces.inside(qdisc.namespace):  # the socket and the index lookup belong to that namespace
        sock = _route_socket()
        index = socket.if_nametoindex(qdisc.ifname)
    with sock:
        code = _send(sock, request(index, qdisc.params))
    if code:
        raise LabError(f"link {qdisc.name}: netem ({qdisc.params.describe()}) on {qdisc.ifname} in "
                       f"{qdisc.namespace}: {os.strerror(code)}")


def probe() -> int:
    """0 when this kernel takes a netem qdisc, else its errno. Tried on the loopback of a namespace made for this
    alone by a thread of its own and never named in /run/netns: it ends with that thread and its socket, so
    nothing is left behind, whatever happens to us."""
    result: list[int] = []

    def attempt() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) != 0:
            result.append(ctypes.get_errno())
            return
        try:
            with _route_socket() as sock:
                result.append(_send(sock, request(LOOPBACK_INDEX, NetemParams())))
        except OSError as exc:  # reported as the probe's answer, not as a thread's traceback
            result.append(exc.errno or -1)

    thread = threading.Thread(target=attempt, name="netem-probe")
    thread.start()
    thread.join()
    return result[0] if result else -1


def require(qdiscs: tuple[NetemQdisc, ...]) -> None:
    """Before a run creates anything: a plan with netem links needs a kernel with netem."""
    if not qdiscs:
        return
    code = probe()
    links = ", ".join(dict.fromkeys(q.name for q in qdiscs))
    if code == errno.ENOENT:  # the kernel knows no qdisc kind "netem" (and found no module to load)
        raise LabError(f"engine: netem: this kernel has no netem qdisc (sch_netem): adding one on a scratch "
                       f"interface answered ENOENT (links {links}); {NO_NETEM_HINT}")
    if code:
        raise LabError(f"engine: netem: could not try a netem qdisc on a scratch interface: "
                       f"{os.strerror(code) if code > 0 else 'no answer'} (links {links})")
