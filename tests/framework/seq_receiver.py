"""seq_receiver: run inside a test namespace; prints the sequence numbers of the UDP datagrams it receives, in order.

python3 seq_receiver.py BIND PORT [--idle=S] [--first-wait=S]
Prints "listening" once bound, then, once no datagram came for --idle seconds, one JSON line {"seqs": [...],
"arrivals": [...]} (each datagram's big-endian 64-bit sequence number and CLOCK_MONOTONIC arrival time): what an
impaired link delivered, duplicates and reordering included.
"""
import argparse
import json
import socket
import struct
import time

SO_RCVBUFFORCE = 33
RCVBUF = 64 << 20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bind")
    parser.add_argument("port", type=int)
    parser.add_argument("--idle", type=float, default=1.5)
    parser.add_argument("--first-wait", type=float, default=20.0)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
    sock.bind((args.bind, args.port))
    print("listening", flush=True)
    seqs, arrivals = [], []
    sock.settimeout(args.first_wait)
    try:
        while True:
            data = sock.recv(65536)
            arrivals.append(time.monotonic())
            seqs.append(struct.unpack(">Q", data[:8])[0] if len(data) >= 8 else -1)
            sock.settimeout(args.idle)
    except TimeoutError:
        pass
    print(json.dumps({"seqs": seqs, "arrivals": arrivals}), flush=True)


if __name__ == "__main__":
    main()
