"""framework.shmstream: what the shared-memory IO tests share: the modes, the frame sizes and a pinned guest MAC."""
from __future__ import annotations

MODES = ["poll", "event", "hybrid"]
SINK_PORT, RECV_PORT = 5000, 6000
# UDP payloads giving the smallest Ethernet frame (14 + 20 + 8 + 18 = 60 bytes) and a full 1500-byte MTU frame.
MIN_PAYLOAD, MTU_PAYLOAD = 18, 1472
GUEST_MAC = "02:00:00:00:00:02"
