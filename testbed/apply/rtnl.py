"""apply.rtnl: route-netlink requests packed by hand and sent many per system call: one round trip per namespace.

pyroute2 spends ~0.5 ms of Python on each request; a 1,000-node lab makes thousands of them (interfaces up,
addresses, routes). Here a namespace's requests go out in one sendmsg, each asking for an acknowledgement, and
the acknowledgements are read back in order. Layouts and constants are the kernel's (linux/netlink.h,
linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h).
"""
from __future__ import annotations

import ipaddress
import os
import socket
import struct
from typing import Self

from testbed.apply import namespaces

NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBI")  # family, prefix length, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst len, src len, tos, table, protocol, scope, type, flags
RTATTR = struct.Struct("=HH")  # length, type
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_GETLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 18, 20, 24
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x300, 0x200, 0x400
IFLA_IFNAME, IFLA_MTU, IFLA_MASTER, IFLA_LINKINFO, IFLA_NET_NS_FD = 3, 4, 10, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA, VETH_INFO_PEER = 1, 2, 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_GATEWAY = 1, 5
IFF_UP = 0x1
RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 3, 0, 1
MAX_PER_SEND = 200  # acknowledgements of one send must fit the socket's receive buffer
RECEIVE_BYTES = 1 << 16


def _attr(kind: int, payload: bytes) -> bytes:
    length = RTATTR.size + len(payload)
    return RTATTR.pack(length, kind) + payload + b"\0" * (-length % 4)


def _attrs(data: bytes) -> dict[int, bytes]:
    found, offset = {}, 0
    while offset + RTATTR.size <= len(data):
        length, kind = RTATTR.unpack_from(data, offset)
        if length < RTATTR.size:
            break
        found[kind] = data[offset + RTATTR.size:offset + length]
        offset += (length + 3) & ~3
    return found


class Socket:
    """A NETLINK_ROUTE socket opened inside one namespace (a netlink socket stays bound to where it was made);
    None: the caller's own."""

    def __init__(self, namespace: str | None):
        if namespace is None:
            self._sock = self._open()
        else:
            with namespaces.inside(namespace):
                self._sock = self._open()
        self._sock.bind((0, 0))
        self.namespace = namespace or "host"
        self._sequence = 0

    @staticmethod
    def _open() -> socket.socket:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    def _messages(self) -> list[tuple[int, int, bytes]]:
        """(type, sequence, payload) of every message in the next datagram."""
        data, found, offset = self._sock.recv(RECEIVE_BYTES), [], 0
        while offset + NLMSGHDR.size <= len(data):
            length, kind, _, sequence, _ = NLMSGHDR.unpack_from(data, offset)
            found.append((kind, sequence, data[offset + NLMSGHDR.size:offset + length]))
            offset += (length + 3) & ~3
        return found

    def link_indexes(self) -> dict[str, int]:
        """Every interface of the namespace by name, from one dump."""
        sequence = self._next()
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        self._sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP,
                                      sequence, 0) + body)
        indexes = {}
        while True:
            for kind, seq, payload in self._messages():
                if seq != sequence:
                    continue
                if kind == NLMSG_DONE:
                    return indexes
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", payload)[0]
                    raise OSError(code, f"{self.namespace}: listing links: {os.strerror(code)}")
                index = IFINFOMSG.unpack_from(payload)[2]
                name = _attrs(payload[IFINFOMSG.size:]).get(IFLA_IFNAME, b"").rstrip(b"\0").decode()
                indexes[name] = index

    def send_batch(self, batch: Batch) -> None:
        """Send the batch's requests, MAX_PER_SEND per system call; the first refused one raises (OSError) after
        its send's acknowledgements are all read, so the socket stays usable."""
        requests = batch.requests
        for start in range(0, len(requests), MAX_PER_SEND):
            chunk = requests[start:start + MAX_PER_SEND]
            what, data = {}, []
            for kind, flags, body, description in chunk:
                sequence = self._next()
                what[sequence] = description
                data.append(NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags | NLM_F_REQUEST | NLM_F_ACK,
                                          sequence, 0) + body)
            self._sock.sendall(b"".join(data))
            self._acknowledged(what)

    def _acknowledged(self, what: dict[int, str]) -> None:
        failure = None
        while what:
            for kind, sequence, payload in self._messages():
                if kind != NLMSG_ERROR or sequence not in what:
                    continue
                description = what.pop(sequence)
                code = -struct.unpack_from("=i", payload)[0]
                if code and failure is None:
                    failure = OSError(code, f"{self.namespace}: {description}: {os.strerror(code)}")
        if failure is not None:
            raise failure

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Batch:
    """Requests for one namespace, kept in the order the kernel must apply them."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, int, bytes, str]] = []

    def set_up(self, index: int, name: str, mtu: int | None = None, master: int | None = None) -> None:
        """Up, with its MTU and enslaved to the bridge whose index is `master` when given."""
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, IFF_UP, IFF_UP)
        if mtu:
            body += _attr(IFLA_MTU, struct.pack("=I", mtu))
        if master:
            body += _attr(IFLA_MASTER, struct.pack("=I", master))
        self.requests.append((RTM_NEWLINK, 0, body, f"setting {name} up"))

    def add_veth(self, ifname: str, namespace_fd: int, peer_ifname: str, peer_namespace_fd: int,
                 mtu: int | None) -> None:
        """A veth pair with each end born inside its own namespace (sent from any namespace: the ends never
        exist anywhere else, so their names cannot clash with the sender's). This end is born up; the peer
        cannot be (the kernel opens it before the pair is joined: ENOTCONN), so it is set up afterwards."""
        def end(name: str, fd: int) -> bytes:
            return (_attr(IFLA_IFNAME, name.encode() + b"\0") + _attr(IFLA_NET_NS_FD, struct.pack("=I", fd))
                    + (_attr(IFLA_MTU, struct.pack("=I", mtu)) if mtu else b""))

        peer = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + end(peer_ifname, peer_namespace_fd)
        info = _attr(IFLA_INFO_KIND, b"veth\0") + _attr(IFLA_INFO_DATA, _attr(VETH_INFO_PEER, peer))
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, IFF_UP, IFF_UP) + end(ifname, namespace_fd)
        self.requests.append((RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body + _attr(IFLA_LINKINFO, info),
                              f"creating veth {ifname} <-> {peer_ifname}"))

    def add_address(self, index: int, name: str, address: str) -> None:
        interface = ipaddress.ip_interface(address)
        family = socket.AF_INET if interface.version == 4 else socket.AF_INET6
        packed = interface.ip.packed
        body = IFADDRMSG.pack(family, interface.network.prefixlen, 0, RT_SCOPE_UNIVERSE, index)
        body += _attr(IFA_LOCAL, packed) + _attr(IFA_ADDRESS, packed)
        self.requests.append((RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body, f"adding {address} to {name}"))

    def add_route(self, destination: str, gateway: str) -> None:
        via = ipaddress.ip_address(gateway)
        family = socket.AF_INET if via.version == 4 else socket.AF_INET6
        body_attrs = _attr(RTA_GATEWAY, via.packed)
        prefix = 0
        if destination != "default":
            network = ipaddress.ip_network(destination)
            prefix = network.prefixlen
            body_attrs = _attr(RTA_DST, network.network_address.packed) + body_attrs
        body = RTMSG.pack(family, prefix, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0)
        self.requests.append((RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, body + body_attrs,
                              f"adding route {destination} via {gateway}"))

    def __len__(self) -> int:
        return len(self.requests)

