"""udp_blast: a UDP sender that sends as fast as it can for a while, and a receiver that counts what arrives.

python3 udp_blast.py send DST PORT SECONDS SIZE   -> {"packets", "bytes", "seconds"} of what was sent
python3 udp_blast.py recv PORT IDLE                -> {"packets", "bytes", "seconds"} between first and last arrival
(run in a lab node with lab.exec; both print one JSON line)
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
        for _ in range(64):
            try:
                sock.sendto(payload, (dst, port))
                packets += 1
            except OSError:  # ENOBUFS when the shaper's queue is full: the datagram is lost, as it would be on a wire
                pass
    return {"packets": packets, "bytes": packets * size, "seconds": time.monotonic() - start}


def receive(port: int, idle: float) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("0.0.0.0", port))
    print("listening", file=sys.stderr, flush=True)
    sock.settimeout(30)  # the first datagram
    packets = size = 0
    first = last = None
    while True:
        try:
            size += len(sock.recv(65535))
        except TimeoutError:
            break
        last = time.monotonic()
        first = first or last
        packets += 1
        sock.settimeout(idle)
    return {"packets": packets, "bytes": size, "seconds": (last - first) if packets > 1 else 0.0}


if __name__ == "__main__":
    if sys.argv[1] == "send":
        result = send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    else:
        result = receive(int(sys.argv[2]), float(sys.argv[3]))
    print(json.dumps(result))
