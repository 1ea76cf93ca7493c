"""datapath_gso_send: sends GSO traffic from a namespace to a guest: UDP with UDP_SEGMENT, or TCP from a socket put in
ESTABLISHED with TCP_REPAIR (the guest speaks no TCP: no handshake, yet the kernel hands the TAP TSO frames).
Prints one JSON line: what it handed the kernel."""
from __future__ import annotations

import json
import socket
import struct
import sys
import time

UDP_SEGMENT = 103
TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ, TCP_REPAIR_OPTIONS, TCP_REPAIR_WINDOW = 19, 20, 21, 22, 29
TCP_RECV_QUEUE, TCP_SEND_QUEUE = 1, 2
TCPOPT_MSS = 2
SEND_SEQ, RECV_SEQ = 0xFFFFF000, 5000  # the send sequence wraps within the first burst


def family_of(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def send_udp(dst: str, port: int, size: int, per_message: int, messages: int, last: int) -> dict:
    """`messages` sends of `per_message` datagrams of `size` bytes, the last datagram of each `last` bytes."""
    s = socket.socket(family_of(dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, size)
    payload = bytes(i % 251 for i in range(size * (per_message - 1) + last))
    for _ in range(messages):
        s.sendto(payload, (dst, port))
        time.sleep(0.002)  # no overrun of the TAP queue: the test counts exactly
    return {"datagrams": messages * per_message, "bytes": messages * len(payload)}


def send_tcp(src: str, dst: str, port: int, mss: int, total: int) -> dict:
    s = socket.socket(family_of(dst), socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
    s.setsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, struct.pack("I", SEND_SEQ))
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)
    s.setsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, RECV_SEQ)
    s.bind((src, 40000))
    s.connect((dst, port))  # in repair mode: ESTABLISHED at once, no SYN
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_OPTIONS, struct.pack("II", TCPOPT_MSS, mss))
    window = 1 << 16
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_WINDOW, struct.pack("5I", RECV_SEQ, window, window, window, RECV_SEQ))
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
    s.setblocking(False)
    sent = s.send(bytes(i % 253 for i in range(total)))
    time.sleep(0.5)  # the first flight leaves; the guest never acknowledges, so retransmissions follow
    return {"seq": SEND_SEQ, "queued": sent, "socket": s.fileno()}


def main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "udp":
        dst, port, size, per_message, messages, last = argv[1], *map(int, argv[2:7])
        print(json.dumps(send_udp(dst, port, size, per_message, messages, last)))
    else:
        src, dst, port, mss, total = argv[1], argv[2], *map(int, argv[3:6])
        print(json.dumps(send_tcp(src, dst, port, mss, total)))


if __name__ == "__main__":
    main(sys.argv[1:])
