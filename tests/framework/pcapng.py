"""framework.pcapng: reads a pcapng capture with dpkt (its Reader, and its block classes for the exact ns timestamps
and direction flags the Reader folds away) and counts a ping's ICMP echoes in it."""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import dpkt
from dpkt import pcapng

BLOCK_EPB = 6
EPB_FLAGS = 2
DIRECTIONS = {0: None, 1: "in", 2: "out"}


@dataclass(frozen=True)
class Frame:
    ts_ns: int
    data: bytes
    length: int  # on the wire (data may be cut at the snaplen)
    direction: str | None


@dataclass(frozen=True)
class Capture:
    ifname: str
    tsresol: int
    frames: list[Frame]

    def echoes(self, src: str | None = None) -> tuple[int, int]:
        """(ICMP echo requests, echo replies) among the frames; requests from src only when given."""
        requests = replies = 0
        for frame in self.frames:
            packet = dpkt.ethernet.Ethernet(frame.data).data
            if not isinstance(packet, dpkt.ip.IP) or not isinstance(packet.data, dpkt.icmp.ICMP):
                continue
            kind = packet.data.type
            if kind == dpkt.icmp.ICMP_ECHO and (src is None or dpkt.utils.inet_to_str(packet.src) == src):
                requests += 1
            elif kind == dpkt.icmp.ICMP_ECHOREPLY:
                replies += 1
        return requests, replies


def read(source: Path | bytes) -> Capture:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    frames = _frames(data)  # first: it names a damaged end, which dpkt's Reader skips silently (zeros) or trips on
    reader = pcapng.Reader(io.BytesIO(data))  # dpkt's own parse: headers, the IDB, every packet block
    listed = list(reader)
    options = {opt.code: opt.data for opt in reader.idb.opts}
    assert len(frames) == len(listed), "dpkt and the block walk disagree on the packet count"
    return Capture(options[pcapng.PCAPNG_OPT_IF_NAME].decode(), options[pcapng.PCAPNG_OPT_IF_TSRESOL][0], frames)


def _frames(data: bytes) -> list[Frame]:
    """The EPBs with their raw 64-bit timestamps (dpkt's Reader turns them into floats: ns lost). A block whose length
    is zero, not a multiple of 4 or runs past the end is an error, not the end: a damaged file must fail the test
    that reads it (a zero length would otherwise never move the walk on)."""
    frames, offset = [], 0
    while offset + 8 <= len(data):
        kind, length = struct.unpack_from("<II", data, offset)
        if length < 12 or length % 4 or offset + length > len(data):
            raise ValueError(f"pcapng: damaged block at byte {offset} of {len(data)}: type {kind:#x}, length {length}")
        if kind == BLOCK_EPB:
            block = pcapng.EnhancedPacketBlockLE(data[offset:offset + length])
            flags = next((struct.unpack("<I", o.data)[0] for o in block.opts if o.code == EPB_FLAGS), 0)
            frames.append(Frame((block.ts_high << 32) | block.ts_low, bytes(block.pkt_data), block.pkt_len,
                                DIRECTIONS[flags & 3]))
        offset += length
    if offset != len(data):
        raise ValueError(f"pcapng: {len(data) - offset} stray bytes at the end (byte {offset})")
    return frames
