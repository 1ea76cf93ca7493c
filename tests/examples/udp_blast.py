"""udp_blast: sends UDP datagrams to DST:PORT as fast as the socket lets it for SECONDS; prints what it sent.

python3 udp_blast.py DST PORT SECONDS SIZE  -> {"packets", "bytes", "seconds"}  (run in a lab node with lab.exec)
A blocking socket: when a shaper's queue is full the sender waits, so it offers exactly what the path takes.
"""
import json
import socket
import sys
import time


def send(dst: str, port: int, seconds: float, size: int) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * size
    packets, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            sock.sendto(payload, (dst, port))
            packets += 1
        except OSError:  # ENOBUFS or a bounced ICMP error: that datagram is lost, as it would be on a wire
            pass
    return {"packets": packets, "bytes": packets * size, "seconds": time.monotonic() - start}


if __name__ == "__main__":
    print(json.dumps(send(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))))
