"""topology.schema.traffic: the `traffic:` kinds, run before the checks (in testbed.run.traffic)."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from testbed.topology.schema.common import NAME_RE, FromTo, OneKind, Strict

PACKET_RATE_RE = re.compile(r"^(max|\d+(\.\d+)?[km]?(pps)?|\d+(\.\d+)?[kmg]?(bit|bps))$", re.IGNORECASE)


class UdpgenTraffic(FromTo):
    """The built-in sendmmsg UDP generator (udpgen), run in a netns node."""

    from_: str = Field(alias="from", description="a netns node")
    to: str = Field(description="a node (its address facing `from`) or an IPv4 address")
    port: int = Field(default=5000, ge=1, le=65535, description="UDP destination port")
    size: int = Field(default=1258, ge=8, le=65507, description="UDP payload bytes (1258: 1300-byte frames)")
    rate: str | int = Field(default="max", description="packets/s (20000, 50k), frame bits/s (100mbit) or max")
    seconds: float | None = Field(default=None, gt=0, description="send for this long")
    count: int | None = Field(default=None, ge=1, description="send this many datagrams")
    gso: int = Field(default=1, ge=1, le=64, description="datagrams per message, split by the kernel (UDP GSO)")
    batch: int = Field(default=64, ge=1, le=1024, description="messages per sendmmsg")

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str | int) -> str | int:
        if isinstance(value, int):
            if value <= 0:
                raise ValueError("rate must be positive")
        elif not PACKET_RATE_RE.match(value.strip()):
            raise ValueError(f"rate {value!r} is not packets/s (20000, 50k), bits/s (100mbit) or max")
        return value

    @model_validator(mode="after")
    def _ends(self):
        if self.seconds is None and self.count is None:
            raise ValueError("give seconds or count (or both: the first reached stops)")
        return self


class PingTraffic(FromTo):
    """iputils ping; loss and round-trip percentiles parsed."""

    from_: str = Field(alias="from", description="a netns node")
    to: str = Field(description="a node (its address facing `from`) or an IP address")
    count: int = Field(default=10, ge=1, description="pings to send")
    interval: float = Field(default=0.01, gt=0, description="seconds between pings (ignored with flood)")
    flood: bool = Field(default=False, description="ping -f: send as fast as replies come back")
    size: int = Field(default=56, ge=0, le=65507, description="ICMP payload bytes")
    timeout: float = Field(default=10, gt=0, description="seconds")


class Iperf3Traffic(Strict):
    """iperf3: a one-off server in one node, the client in another."""

    client: str = Field(description="a netns node")
    server: str = Field(description="a netns node")
    protocol: Literal["tcp", "udp"] = Field(default="tcp", description="tcp or udp (-u)")
    seconds: float = Field(default=2, gt=0, description="test length (-t)")
    rate: str | None = Field(default=None, description="target bits/s (-b), e.g. 100M; UDP defaults to 1M")
    length: int | None = Field(default=None, ge=1, description="buffer / datagram bytes (-l)")
    port: int = Field(default=5201, ge=1, le=65535, description="server port (-p)")


class AppTraffic(Strict):
    """A unikernel app (udp-sink, udp-source): its console's JSON lines parsed; its monitor stopped at the end."""

    node: str = Field(description="a unikernel node")
    finishes: bool = Field(default=False, description="the app stops by itself (e.g. udp-source --seconds): wait "
                           "for its summary like a generator, instead of stopping it after the generators")
    linger: float = Field(default=1.2, ge=0, description="seconds a receiver keeps counting after the senders finish")
    timeout: float = Field(default=60, gt=0, description="seconds to wait for an app that stops by itself")


class TapreadTraffic(Strict):
    """The raw-TAP ceiling: stops a unikernel node's monitor and reads its TAP directly with tapread."""

    node: str = Field(description="a unikernel node")
    nic: str = Field(default="service0", description="the guest NIC whose TAP to read")
    busy: bool = Field(default=False, description="spin on the TAP instead of sleeping in poll")
    linger: float = Field(default=0.5, ge=0, description="seconds it keeps reading after the senders finish")


class CountersTraffic(Strict):
    """Kernel interface counters of a netns node (e.g. the receiving end of a guest's flood)."""

    node: str = Field(description="a netns node")
    interface: str = Field(description="an interface name inside the node")


class Traffic(OneKind):
    """One traffic item; exactly one kind key besides name, delay."""

    SHARED = ("name", "delay")
    WHAT = "a traffic item"

    name: str = Field(pattern=NAME_RE, description="referred to by checks and in results")
    delay: float = Field(default=0, ge=0, description="seconds after the traffic phase starts")
    udpgen: UdpgenTraffic | None = Field(default=None, description="the built-in UDP generator")
    ping: PingTraffic | None = Field(default=None, description="iputils ping, measured")
    iperf3: Iperf3Traffic | None = Field(default=None, description="an iperf3 client and server")
    app: AppTraffic | None = Field(default=None, description="a unikernel app that sends or counts")
    tapread: TapreadTraffic | None = Field(default=None, description="read a guest's TAP directly")
    counters: CountersTraffic | None = Field(default=None, description="a netns interface's kernel counters")


TRAFFIC_KINDS = Traffic.kinds()  # udpgen, ping, iperf3, app, tapread, counters

