"""apply.nic_control: a monitor's impairment control file (tb-monitor --impair-control=PATH): write a NIC
direction's spec at run time, read the configuration and counters the monitor publishes (layout: net/nic_control.h)."""
from __future__ import annotations

import fcntl
import mmap
import os
import struct
import time
from pathlib import Path
from typing import Self

from testbed.errors import LabError

MAGIC = 0x3154434C52504D49  # "IMPRLCT1": the monitor laid the file out
HEADER_BYTES, NIC_BYTES, DIR_BYTES = 64, 1344, 640
NAME_BYTES, GENERATION_AT, DIRS_AT = 32, 32, 64
SPEC_SEQ_AT, SPEC_AT, SPEC_MAX = 0, 8, 256
SEEN_SEQ_AT, APPLIED_AT, REJECTED_AT, WHY_AT, WHY_MAX = 264, 272, 280, 288, 120
PUB_SEQ_AT, COUNTERS_AT, QUEUED_AT, CONFIG_AT = 408, 416, 496, 504
TX, RX = 0, 1  # the monitor's directions: what the guest sends, what it receives
COUNTERS = ("received", "sent", "dropped", "down_drops", "queue_drops", "delayed", "duplicated", "reordered",
            "corrupted", "bytes_sent")
CONFIG = ("down", "loss_ppm", "ge", "ge_p_ppm", "ge_r_ppm", "ge_loss_good_ppm", "ge_loss_bad_ppm", "delay_ns",
          "jitter_ns", "dist", "rate_bps", "limit", "reorder_ppm", "duplicate_ppm", "corrupt_ppm", "seed")
TEXT_KEYS = {"down": "down", "loss": "loss_ppm", "ge": "ge", "p": "ge_p_ppm", "r": "ge_r_ppm",
             "lossgood": "ge_loss_good_ppm", "lossbad": "ge_loss_bad_ppm", "delay": "delay_ns", "jitter": "jitter_ns",
             "dist": "dist", "rate": "rate_bps", "limit": "limit", "reorder": "reorder_ppm",
             "duplicate": "duplicate_ppm", "corrupt": "corrupt_ppm", "seed": "seed"}
DEFAULT_LIMIT = 1000  # impair.h's TB_IMPAIR_DEFAULT_LIMIT: what limit=0 means
ACK_SECONDS = 0.25  # how long a change waits for the monitor to take it (an idle guest takes it at its next frame)
READ_TRIES = 1000


def create(path: Path) -> None:
    """An empty file the monitor sizes and lays out; made here (not by the monitor) so the run owns it."""
    path.parent.mkdir(exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))


class Control:
    """One monitor's file, mapped; a context manager. `what` names the link in errors."""

    def __init__(self, path: Path, what: str):
        self.path, self.what = Path(path), what

    def __enter__(self) -> Self:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            raise LabError(f"{self.what}: its monitor's control file {self.path} is gone") from None
        size = os.fstat(self._fd).st_size
        if size < HEADER_BYTES or self._u64(os.pread(self._fd, 8, 0), 0) != MAGIC:
            os.close(self._fd)
            raise LabError(f"{self.what}: its monitor has not set up its control file (not running?)")
        self._map = mmap.mmap(self._fd, size)
        return self

    def __exit__(self, *exc) -> None:
        self._map.close()
        os.close(self._fd)

    @staticmethod
    def _u64(buffer, at: int) -> int:
        return struct.unpack_from("<Q", buffer, at)[0]

    def _store(self, at: int, value: int) -> None:
        """One aligned 8-byte store (the monitor reads these words with single loads)."""
        memoryview(self._map).cast("Q")[at // 8] = value

    def _dir(self, nic: str, direction: int) -> int:
        count = struct.unpack_from("<I", self._map, 12)[0]
        for index in range(count):
            at = HEADER_BYTES + index * NIC_BYTES
            if self._map[at:at + NAME_BYTES].rstrip(b"\0").decode(errors="replace") == nic:
                return at + DIRS_AT + direction * DIR_BYTES
        raise LabError(f"{self.what}: NIC {nic} is not in its monitor's control file")

    def spec(self, nic: str, direction: int) -> str:
        """The spec last written (what is asked; the monitor may not have taken it yet)."""
        at = self._dir(nic, direction) + SPEC_AT
        return self._map[at:at + SPEC_MAX].split(b"\0", 1)[0].decode(errors="replace")

    def write(self, nic: str, direction: int, spec: str) -> None:
        """Replace a direction's spec (a whole configuration, from a plain wire); a refusal by the monitor raises."""
        data = spec.encode()
        if len(data) >= SPEC_MAX:
            raise LabError(f"{self.what}: impairment text longer than {SPEC_MAX - 1} bytes")
        at = self._dir(nic, direction)
        nic_at = at - DIRS_AT - direction * DIR_BYTES
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # one writer at a time (the CLI, a schedule)
        try:
            seq = self._u64(self._map, at + SPEC_SEQ_AT)
            rejected = self._u64(self._map, at + REJECTED_AT)
            self._store(at + SPEC_SEQ_AT, seq + 1)
            self._map[at + SPEC_AT:at + SPEC_AT + SPEC_MAX] = data.ljust(SPEC_MAX, b"\0")
            self._store(at + SPEC_SEQ_AT, seq + 2)
            self._store(nic_at + GENERATION_AT, self._u64(self._map, nic_at + GENERATION_AT) + 1)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        deadline = time.monotonic() + ACK_SECONDS
        while self._u64(self._map, at + SEEN_SEQ_AT) < seq + 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        if self._u64(self._map, at + REJECTED_AT) != rejected:
            why = self._map[at + WHY_AT:at + WHY_AT + WHY_MAX].split(b"\0", 1)[0].decode(errors="replace")
            raise LabError(f"{self.what}: the monitor refused {spec!r}: {why}")

    def read(self, nic: str, direction: int) -> dict:
        """{config, counters, queued, applied, rejected, pending} as the monitor last published them (a consistent
        copy). pending: a spec written that the monitor has not taken yet (it takes it before the next frame it
        handles, so no frame meets the old one): config is then that spec's."""
        at = self._dir(nic, direction)
        spec_seq = self._u64(self._map, at + SPEC_SEQ_AT)  # odd: being written (then the published one is shown)
        pending = spec_seq % 2 == 0 and spec_seq != self._u64(self._map, at + SEEN_SEQ_AT)
        for _ in range(READ_TRIES):
            before = self._u64(self._map, at + PUB_SEQ_AT)
            block = bytes(self._map[at + COUNTERS_AT:at + CONFIG_AT + 8 * len(CONFIG)])
            if before % 2 == 0 and self._u64(self._map, at + PUB_SEQ_AT) == before:
                break
            time.sleep(0.0001)
        else:
            raise LabError(f"{self.what}: its monitor's counters never settled")
        words = struct.unpack(f"<{len(block) // 8}Q", block)
        counters = dict(zip(COUNTERS, words[:len(COUNTERS)], strict=True))
        config = dict(zip(CONFIG, words[len(COUNTERS) + 1:], strict=True))
        config.update(down=bool(config["down"]), ge=bool(config["ge"]),
                      dist="normal" if config["dist"] else "uniform")
        return {"config": config_of(self.spec(nic, direction)) if pending else config, "counters": counters,
                "queued": words[len(COUNTERS)], "applied": self._u64(self._map, at + APPLIED_AT),
                "rejected": self._u64(self._map, at + REJECTED_AT), "pending": pending}


def config_of(spec: str) -> dict:
    """A spec's configuration as the monitor publishes one (from a plain wire; keys as tb-wire's JSON)."""
    config = {key: 0 for key in CONFIG} | {"down": False, "ge": False, "dist": "uniform"}
    for item in filter(None, spec.split(",")):
        key, value = item.split("=", 1)
        name = TEXT_KEYS[key]
        config[name] = value if name == "dist" else bool(int(value)) if name in ("down", "ge") else int(value)
    config["limit"] = config["limit"] or DEFAULT_LIMIT
    return config
