"""apply.rtnl: route-netlink requests built by pyroute2 and sent many per system call: one round trip per namespace.

pyroute2's IPRoute spends ~0.5 ms of Python per request on its own request/response cycle; a 1,000-node lab makes
thousands of them (interfaces up, addresses, routes). Here pyroute2 still builds every message (ifinfmsg,
ifaddrmsg, rtmsg) and parses every answer (its marshal), but a namespace's requests go out in one sendmsg, each
asking for an acknowledgement, and the acknowledgements are read back together.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from typing import Self

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR
from pyroute2.netlink.rtnl import RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import IFF_UP, ifinfmsg
from pyroute2.netlink.rtnl.marshal import MarshalRtnl
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from testbed.apply import namespaces

MAX_PER_SEND = 200  # acknowledgements of one send must fit the socket's receive buffer
RECEIVE_BYTES = 1 << 16
RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST = 254, 3, 1  # the kernel's, as `ip route add` uses them


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
        self._marshal = MarshalRtnl()

    @staticmethod
    def _open() -> socket.socket:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    def _messages(self) -> list:
        """Every message of the next datagram, parsed by pyroute2."""
        return list(self._marshal.parse(self._sock.recv(RECEIVE_BYTES)))

    def link_indexes(self) -> dict[str, int]:
        """Every interface of the namespace by name, from one dump."""
        sequence = self._next()
        self._sock.send(_encoded(ifinfmsg(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, sequence))
        indexes = {}
        while True:
            for message in self._messages():
                if message["header"]["sequence_number"] != sequence:
                    continue
                kind = message["header"]["type"]
                if kind == NLMSG_DONE:
                    return indexes
                if kind == NLMSG_ERROR:
                    code = -message["error"]
                    raise OSError(code, f"{self.namespace}: listing links: {os.strerror(code)}")
                indexes[message.get_attr("IFLA_IFNAME")] = message["index"]

    def send_batch(self, batch: Batch) -> None:
        """Send the batch's requests, MAX_PER_SEND per system call; the first refused one raises (OSError) after
        its send's acknowledgements are all read, so the socket stays usable."""
        requests = batch.requests
        for start in range(0, len(requests), MAX_PER_SEND):
            what, data = {}, []
            for message, kind, flags, description in requests[start:start + MAX_PER_SEND]:
                sequence = self._next()
                what[sequence] = description
                data.append(_encoded(message, kind, flags | NLM_F_REQUEST | NLM_F_ACK, sequence))
            self._sock.sendall(b"".join(data))
            self._acknowledged(what)

    def _acknowledged(self, what: dict[int, str]) -> None:
        failure = None
        while what:
            for message in self._messages():
                sequence = message["header"]["sequence_number"]
                if message["header"]["type"] != NLMSG_ERROR or sequence not in what:
                    continue
                description = what.pop(sequence)
                code = -message["error"]
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


def _encoded(message, kind: int, flags: int, sequence: int) -> bytes:
    message["header"]["type"] = kind
    message["header"]["flags"] = flags
    message["header"]["sequence_number"] = sequence
    message.encode()
    return bytes(message.data)


class Batch:
    """Requests for one namespace, kept in the order the kernel must apply them."""

    def __init__(self) -> None:
        self.requests: list[tuple[object, int, int, str]] = []  # (pyroute2 message, type, flags, description)

    def set_up(self, index: int, name: str, mtu: int | None = None, master: int | None = None) -> None:
        """Up, with its MTU and enslaved to the bridge whose index is `master` when given."""
        message = ifinfmsg()
        message["index"], message["flags"], message["change"] = index, IFF_UP, IFF_UP
        message["attrs"] = ([("IFLA_MTU", mtu)] if mtu else []) + ([("IFLA_MASTER", master)] if master else [])
        self.requests.append((message, RTM_NEWLINK, 0, f"setting {name} up"))

    def add_veth(self, ifname: str, namespace_fd: int, peer_ifname: str, peer_namespace_fd: int,
                 mtu: int | None, indexes: tuple[int, int] = (0, 0)) -> None:
        """A veth pair with each end born inside its own namespace (sent from any namespace: the ends never
        exist anywhere else, so their names cannot clash with the sender's). This end is born up; the peer
        cannot be (the kernel opens it before the pair is joined: ENOTCONN), so it is set up afterwards.
        indexes: the interface index each end is to have (0: the kernel's choice), so nobody has to ask."""
        def end(name: str, fd: int) -> list[tuple[str, object]]:
            return [("IFLA_IFNAME", name), ("IFLA_NET_NS_FD", fd)] + ([("IFLA_MTU", mtu)] if mtu else [])

        message = ifinfmsg()
        message["index"], message["flags"], message["change"] = indexes[0], IFF_UP, IFF_UP
        peer = {"index": indexes[1], "attrs": end(peer_ifname, peer_namespace_fd)}
        message["attrs"] = end(ifname, namespace_fd) + [("IFLA_LINKINFO", {"attrs": [
            ("IFLA_INFO_KIND", "veth"), ("IFLA_INFO_DATA", {"attrs": [("VETH_INFO_PEER", peer)]})]})]
        self.requests.append((message, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
                              f"creating veth {ifname} <-> {peer_ifname}"))

    def add_address(self, index: int, name: str, address: str) -> None:
        interface = ipaddress.ip_interface(address)
        message = ifaddrmsg()
        message["family"] = socket.AF_INET if interface.version == 4 else socket.AF_INET6
        message["prefixlen"], message["index"] = interface.network.prefixlen, index
        message["attrs"] = [("IFA_LOCAL", str(interface.ip)), ("IFA_ADDRESS", str(interface.ip))]
        self.requests.append((message, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, f"adding {address} to {name}"))

    def add_route(self, destination: str, gateway: str) -> None:
        via = ipaddress.ip_address(gateway)
        message = rtmsg()
        message["family"] = socket.AF_INET if via.version == 4 else socket.AF_INET6
        message["table"], message["proto"], message["type"] = RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST
        message["attrs"] = [("RTA_GATEWAY", str(via))]
        if destination != "default":
            network = ipaddress.ip_network(destination)
            message["dst_len"] = network.prefixlen
            message["attrs"].insert(0, ("RTA_DST", str(network.network_address)))
        self.requests.append((message, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
                              f"adding route {destination} via {gateway}"))

    def __len__(self) -> int:
        return len(self.requests)
