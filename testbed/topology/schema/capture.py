"""topology.schema.capture: `capture:` on a link: which end is captured into pcapng, and the bounds of its ring of files."""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from testbed.topology.schema.common import Strict, beside_topology

SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib|k|m|g)?\s*$", re.IGNORECASE)
SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "m": 1000**2, "g": 1000**3,
              "kib": 1024, "mib": 1024**2, "gib": 1024**3}
FILE_BYTES_MIN = 4096  # the monitor's and tb-capture's floor: headers and a few frames
FILES_MAX = 64
SNAPLEN_MIN, SNAPLEN_MAX = 64, 65535
DEFAULT_DIR = "captures"


def parse_size(value: object) -> object:
    """Bytes as people write them: 4096, 16MB, 1.5MiB (k/m/g are powers of 1000, Ki/Mi/Gi of 1024)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value  # pydantic says what type it wanted
    if isinstance(value, int | float):
        return value
    match = SIZE_RE.match(value)
    if not match:
        raise ValueError(f"size {value!r} is not NUMBER[B|KB|MB|GB|KiB|MiB|GiB], e.g. 16MB")
    number, unit = match.groups()
    return int(float(number) * SIZE_UNITS[(unit or "").lower()])


Size = Annotated[int, BeforeValidator(parse_size),
                 Field(ge=FILE_BYTES_MIN, description=f"bytes (16MB, 1MiB, ...), at least {FILE_BYTES_MIN}")]


class Capture(Strict):
    """Capture one end of the link into pcapng (interface names, ns timestamps) that Wireshark and tcpdump read.

    A unikernel end is captured by its monitor (every IO mode, the guest's view); a kernel end (netns, bridge port)
    by packet sockets: a veth end's received frames on the end and its sent frames on its peer (so the sender's
    transmit path clones nothing), any other end by one socket in its namespace. Files go to DIR/RUN_ID/NODE-IFNAME.pcapng, a ring of `files` files of at
    most `size` bytes each (NODE-IFNAME.0.pcapng ... when files > 1), and stay after the lab is down."""

    at: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,30}:.+$",
                           description="the end to capture, NODE:IFNAME, one of the link's endpoints (default: the "
                           "unikernel end, else the first endpoint)")
    size: Size = Field(default=16 * 1024**2, description="bytes per file before the ring moves on, e.g. 16MB")
    files: int = Field(default=4, ge=1, le=FILES_MAX, description="files in the ring (1: one file; frames past "
                       "`size` are then dropped)")
    snaplen: int = Field(default=SNAPLEN_MAX, ge=SNAPLEN_MIN, le=SNAPLEN_MAX, description="bytes kept per frame")
    dir: str = Field(default=DEFAULT_DIR, validate_default=True, description="folder of the run folders, relative to the topology file")

    @field_validator("dir")
    @classmethod
    def _dir_beside_topology(cls, value: str, info: ValidationInfo) -> str:
        return beside_topology(value, info)


def capture_shorthand(value: object) -> object:
    """`capture: true` is `capture: {}` (every default); `capture: false` is no capture."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


CaptureField = Annotated[Capture | None, BeforeValidator(capture_shorthand)]
