#!/usr/bin/env python3
"""ci/tap_echo.py: answers ICMP echo requests arriving on a TAP, as a host program: the ping benches' floor (what
a ping to a TAP costs with no guest, with this script's own few µs of Python per echo on top).

    ip netns exec NS python3 ci/tap_echo.py --tap=NAME     (prints "ready:" once the TAP is open; SIGTERM ends it)
"""
from __future__ import annotations

import argparse
import fcntl
import os
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
ETH_IPV4, IPPROTO_ICMP, ECHO_REQUEST = b"\x08\x00", 1, 8


def open_tap(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def echo_reply(frame: bytes) -> bytes | None:
    """The reply to an IPv4 ICMP echo request (MACs and addresses swapped, type 0), else None."""
    if len(frame) < 42 or frame[12:14] != ETH_IPV4 or frame[23] != IPPROTO_ICMP:
        return None
    ihl = (frame[14] & 0x0F) * 4
    icmp = 14 + ihl
    if len(frame) < icmp + 8 or frame[icmp] != ECHO_REQUEST:
        return None
    # Type 8 -> 0 lowers the one's-complement sum by 0x0800: the checksum rises by as much (with end-around carry).
    checksum = struct.unpack_from("!H", frame, icmp + 2)[0] + 0x0800
    checksum = (checksum & 0xFFFF) + (checksum >> 16)
    # Swapping the IP addresses leaves the IP header's checksum as it is (a sum does not care about order).
    return b"".join((frame[6:12], frame[0:6], frame[12:26], frame[30:34], frame[26:30], frame[34:icmp],
                     b"\x00", frame[icmp + 1:icmp + 2], struct.pack("!H", checksum), frame[icmp + 4:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tap", required=True)
    args = parser.parse_args()
    fd = open_tap(args.tap)
    print("ready: answering echo requests on", args.tap, flush=True)
    while True:
        reply = echo_reply(os.read(fd, 65536))
        if reply is not None:
            os.write(fd, reply)


if __name__ == "__main__":
    sys.exit(main())
