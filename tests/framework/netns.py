"""framework.netns: commands in a test namespace and the TAP set-ups the guest and tool tests share."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TapNamespace:
    netns: str
    tap: str
    host_ip: str
    guest_ip: str
    prefix: int


def in_ns(netns: str, *argv: str) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv]


def ping_guest(tap_ns: TapNamespace, count: int, interval: float = 0.01, wait: float = 2,
               timeout: float = 60) -> subprocess.CompletedProcess:
    """iputils ping from the TAP's namespace to the guest; the caller asserts on its stdout."""
    argv = in_ns(tap_ns.netns, "ping", "-c", str(count), "-i", f"{interval:g}", "-W", f"{wait:g}", tap_ns.guest_ip)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def quiet_namespace(tap_ns: TapNamespace) -> None:
    """No IPv6 chatter (router solicitations, MLD) on the TAP, so frame counts are exactly our UDP."""
    subprocess.run(in_ns(tap_ns.netns, "sysctl", "-qw", f"net.ipv6.conf.{tap_ns.tap}.disable_ipv6=1"), check=True)


def static_neighbour(tap_ns: TapNamespace, mac: str, ip: str | None = None) -> None:
    """ip (the guest's by default) resolved to mac for good, so frames go out without ARP: to a guest that is not
    reading, or to an address no one owns (into the TAP)."""
    subprocess.run(in_ns(tap_ns.netns, "ip", "neigh", "replace", ip or tap_ns.guest_ip, "lladdr", mac, "dev",
                         tap_ns.tap, "nud", "permanent"), check=True)


def tap_tx_dropped(tap_ns: TapNamespace) -> int:
    """Frames the kernel dropped at the TAP's queue (host -> guest direction is the TAP's transmit side)."""
    out = subprocess.run(in_ns(tap_ns.netns, "cat", f"/sys/class/net/{tap_ns.tap}/statistics/tx_dropped"),
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


def netns_inode(pid: int | str) -> int | None:
    """The network namespace process pid lives in (None once it is gone)."""
    try:
        return Path(f"/proc/{pid}/ns/net").stat().st_ino
    except OSError:
        return None
