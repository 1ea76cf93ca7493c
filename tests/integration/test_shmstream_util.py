"""test_shmstream_util: helpers for the shmstream tests: a monitor process with --io and --stats, UDP senders and receivers run inside the test namespace."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# in_ns is imported by the shmstream tests from here too.
from guest_helpers import ConsoleProcess, in_ns
from testbed import paths

MODES = ["poll", "event", "hybrid"]
SINK_PORT, RECV_PORT = 5000, 6000
# UDP payloads giving the smallest Ethernet frame (14 + 20 + 8 + 18 = 60 bytes) and a full 1500-byte MTU frame.
MIN_PAYLOAD, MTU_PAYLOAD = 18, 1472
GUEST_MAC = "02:00:00:00:00:02"

# Inside the namespace: COUNT datagrams of SIZE bytes to DST:PORT at RATE per second, each starting with its sequence number.
SENDER = r"""
import socket, struct, sys, time
dst, port, count, size, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
pad = bytes(max(0, size - 4))
start = time.monotonic()
for seq in range(count):
    delay = start + seq / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    s.sendto(struct.pack(">I", seq)[:size] + pad, (dst, port))
print(count, flush=True)
"""

# Inside the namespace: receives on BIND:PORT until IDLE seconds pass without a datagram, then one JSON line.
RECEIVER = r"""
import json, socket, struct, sys
bind, port, idle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((bind, port))
print("listening", flush=True)
s.settimeout(30.0)
seqs, nbytes = [], 0
try:
    while True:
        data = s.recv(65536)
        seqs.append(struct.unpack(">Q", data[:8])[0] if len(data) >= 8 else -1)
        nbytes += len(data)
        s.settimeout(idle)
except socket.timeout:
    pass
top = max(seqs) + 1 if seqs else 0
print(json.dumps({"packets": len(seqs), "bytes": nbytes, "missing": sorted(set(range(top)) - set(seqs))[:10]}),
      flush=True)
"""


def image(name: str) -> Path:
    builtin = paths.images().get(name)
    return builtin if builtin is not None else paths.bin_dir() / "test-images" / f"{name}.hvt"


class Monitor(ConsoleProcess):
    """One tb-monitor process; console lines collected by a thread, stats JSON read after exit. `flags` are extra
    monitor options such as ("--shm-slots=8",)."""

    WAIT_TIMEOUT = 15.0  # a monitor with --stats and shared-memory setup takes longer to boot

    def __init__(self, tmp_path: Path, name: str, io: str, tap_ns, *guest_args: str, mac: str | None = None,
                 flags: tuple[str, ...] = ()):
        self.stats_path = tmp_path / f"stats-{name}-{io}.json"
        cmd = [str(paths.monitor_path()), f"--io={io}", f"--stats={self.stats_path}", *flags]
        if tap_ns is not None:
            cmd.append(f"--net:service0={tap_ns.tap}@{tap_ns.netns}")
            if mac:
                cmd.append(f"--net-mac:service0={mac}")
        cmd += [str(image(name)), *guest_args]
        super().__init__(cmd)

    def finish(self, timeout: float = 30.0) -> tuple[int, list[str]]:
        status = self.proc.wait(timeout=timeout)
        self._collect()
        return status, self.seen

    def stop(self) -> int:
        """SIGTERM (stats are still written), then wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.finish(timeout=15)[0]

    def kill(self) -> None:
        """SIGTERM first (the monitor still writes its stats), SIGKILL if it does not go."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait(timeout=10)

    def stats(self) -> dict:
        return json.loads(self.stats_path.read_text())


def summary(lines: list[str]) -> dict:
    found = [json.loads(line) for line in lines if line.startswith("{") and '"summary":true' in line]
    assert len(found) == 1, f"expected one summary line in {lines}"
    return found[0]


def send_udp(tap_ns, count: int, size: int, rate: float, port: int = SINK_PORT) -> None:
    out = subprocess.run(in_ns(tap_ns.netns, sys.executable, "-c", SENDER, tap_ns.guest_ip, str(port), str(count),
                               str(size), str(rate)), capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and out.stdout.strip() == str(count), out.stderr


def start_receiver(tap_ns, idle: float = 2.0) -> subprocess.Popen:
    proc = subprocess.Popen(in_ns(tap_ns.netns, sys.executable, "-c", RECEIVER, tap_ns.host_ip, str(RECV_PORT),
                                  str(idle)), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "listening"
    return proc


def tap_tx_dropped(tap_ns) -> int:
    """Frames the kernel dropped at the TAP's queue (host -> guest direction is the TAP's transmit side)."""
    out = subprocess.run(in_ns(tap_ns.netns, "cat", f"/sys/class/net/{tap_ns.tap}/statistics/tx_dropped"),
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


def quiet_namespace(tap_ns) -> None:
    """No IPv6 chatter (router solicitations, MLD) on the TAP, so frame counts are exactly our UDP."""
    subprocess.run(in_ns(tap_ns.netns, "sysctl", "-qw", f"net.ipv6.conf.{tap_ns.tap}.disable_ipv6=1"), check=True)


def static_neighbour(tap_ns, mac: str) -> None:
    """The guest's MAC, so a guest that is not reading still gets our datagrams (no ARP needed)."""
    subprocess.run(in_ns(tap_ns.netns, "ip", "neigh", "replace", tap_ns.guest_ip, "lladdr", mac, "dev", tap_ns.tap,
                         "nud", "permanent"), check=True)
