"""udp_receiver: run inside a test namespace; receives UDP on BIND:PORT and prints one JSON line of what arrived.

python3 udp_receiver.py BIND PORT [--idle=S] [--first-wait=S] [--stop-after=N]
Prints "listening" once bound (the socket is ready), then waits up to --first-wait for the first datagram (a guest
still boots and resolves us), stops --idle seconds after the last one or after --stop-after datagrams, and prints
{"packets", "bytes", "in_order", "missing", "sizes", "sources", "span"}: each datagram starts with its big-endian
64-bit sequence number (-1 when shorter than that).
"""
import argparse
import json
import socket
import struct
import time

SO_RCVBUFFORCE = 33  # not exported by Python: as root it passes net.core.rmem_max
RCVBUF = 64 << 20  # a sender at full speed cannot overrun the socket while the receiver is descheduled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bind")
    parser.add_argument("port", type=int)
    parser.add_argument("--idle", type=float, default=2.0)
    parser.add_argument("--first-wait", type=float, default=30.0)
    parser.add_argument("--stop-after", type=int, default=None)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
    sock.bind((args.bind, args.port))
    print("listening", flush=True)
    print(json.dumps(receive(sock, args.first_wait, args.idle, args.stop_after)), flush=True)


def receive(sock: socket.socket, first_wait: float, idle: float, stop_after: int | None) -> dict:
    seqs, nbytes, sizes, sources, first, last = [], 0, set(), set(), None, None
    sock.settimeout(first_wait)
    try:
        while stop_after is None or len(seqs) < stop_after:
            data, addr = sock.recvfrom(65536)
            last = time.monotonic()
            first = first or last
            seqs.append(struct.unpack(">Q", data[:8])[0] if len(data) >= 8 else -1)
            nbytes += len(data)
            sizes.add(len(data))
            sources.add("%s:%d" % addr)
            sock.settimeout(idle)
    except socket.timeout:
        pass
    top = max(seqs) + 1 if seqs else 0
    return {"packets": len(seqs), "bytes": nbytes, "in_order": seqs == list(range(len(seqs))),
            "missing": sorted(set(range(top)) - set(seqs))[:10], "sizes": sorted(sizes),
            "sources": sorted(sources), "span": (last - first) if seqs else 0}


if __name__ == "__main__":
    main()
