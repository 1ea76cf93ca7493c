"""udp_sender: run inside a test namespace; sends COUNT datagrams of SIZE bytes to DST:PORT at RATE per second.

python3 udp_sender.py DST PORT COUNT SIZE RATE [--blocking] [--times]  -> {"sent", "failed", "seconds"[, "times"]}
Each datagram starts with its big-endian 64-bit sequence number. Datagram k leaves at k/RATE (a sleep that paces,
not a wait). Non-blocking by default: once a guest has stopped, its TAP has no reader and a blocking send would
stall on a full send buffer; --blocking (with a large send buffer) is for a count that must all leave. --times adds
when each datagram left (CLOCK_MONOTONIC, the same clock in every namespace, so the times compare with a relay's and
a receiver's).
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
    parser.add_argument("--blocking", action="store_true")
    parser.add_argument("--times", action="store_true")
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.blocking:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
    else:
        sock.setblocking(False)
    pad = bytes(max(0, args.size - 8))
    start, failed, times = time.monotonic(), 0, []
    for seq in range(args.count):
        delay = start + seq / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if args.times:
            times.append(time.monotonic())
        try:
            sock.sendto(struct.pack(">Q", seq)[:args.size] + pad, (args.dst, args.port))
        except OSError:
            if args.blocking:
                raise
            failed += 1
    result = {"sent": args.count - failed, "failed": failed, "seconds": time.monotonic() - start}
    print(json.dumps({**result, "times": times} if args.times else result), flush=True)


if __name__ == "__main__":
    main()
