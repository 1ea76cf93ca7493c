"""seq_sender: run inside a test namespace; sends COUNT sequence-numbered UDP datagrams, paced, and says when each left.

python3 seq_sender.py DST PORT COUNT SIZE RATE  -> {"sent": N, "times": [...]} (CLOCK_MONOTONIC, one per datagram;
the clock is the same in every namespace, so the times compare with a relay's and a receiver's).
"""
import argparse
import json
import socket
import struct
import time

SNDBUF = 8 << 20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dst")
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("size", type=int)
    parser.add_argument("rate", type=float)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
    pad = bytes(max(0, args.size - 8))
    times, start = [], time.monotonic()
    for seq in range(args.count):
        delay = start + seq / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        times.append(time.monotonic())
        sock.sendto(struct.pack(">Q", seq) + pad, (args.dst, args.port))
    print(json.dumps({"sent": args.count, "times": times}), flush=True)


if __name__ == "__main__":
    main()
