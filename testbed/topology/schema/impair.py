"""topology.schema.impair: a link's `impair:` (loss, bursts, delay, jitter, rate, reorder, duplicate, corrupt, seed,
engine) in the units people write (`1%`, `5ms`, `100mbit`), both directions or each on its own."""
from __future__ import annotations

import hashlib
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from testbed.topology.schema.common import Strict

PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$")
BITRATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)?(?:/s)?\s*$", re.IGNORECASE)
DURATION_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
RATE_SCALE = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9}
MAX_DELAY_NS = 3600 * 1_000_000_000  # an hour: anything longer is a typo
PPM = 1_000_000


def percent(value: object) -> float:
    """`1%`, `0.5%`, `1` (a bare number is percent too) -> 1.0; 0..100."""
    if isinstance(value, bool):
        raise ValueError("a percentage, e.g. 1% or 0.5%")  # noqa: TRY004 (pydantic reports ValueError, not TypeError)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (match := PERCENT_RE.match(value)):
        number = float(match.group(1))
    else:
        raise ValueError(f"{value!r} is not a percentage, e.g. 1% or 0.5%")
    if not 0 <= number <= 100:
        raise ValueError(f"{value!r} is not between 0% and 100%")
    return number


def duration_ns(value: object) -> int:
    """`5ms`, `250us`, `1.5s`, `0` -> nanoseconds; a unit is required for anything but 0 (5 alone: ms? s?)."""
    if value == 0 and not isinstance(value, bool):
        return 0
    match = DURATION_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a duration with a unit, e.g. 5ms, 250us, 1s")
    nanoseconds = round(float(match.group(1)) * DURATION_NS[match.group(2)])
    if nanoseconds > MAX_DELAY_NS:
        raise ValueError(f"{value!r} is longer than an hour")
    return nanoseconds


def bitrate(value: object) -> int:
    """`100mbit`, `1gbit`, `10mbps` (bytes, as tc writes it), `1e6` -> bit/s, at least 1 kbit/s."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        bits = float(value)
    elif isinstance(value, str) and (match := BITRATE_RE.match(value)):
        bits = float(match.group(1)) * RATE_SCALE[(match.group(2) or "bit").lower()]
    else:
        raise ValueError(f"{value!r} is not a rate, e.g. 100mbit, 1gbit, 500kbit")
    if bits < 1000:
        raise ValueError(f"{value!r} is below 1kbit")
    return int(bits)


# Written as text with a unit (or a bare number where that is unambiguous); held as numbers once checked.
_TEXT_OR_NUMBER = {"anyOf": [{"type": "string"}, {"type": "number"}]}
Percent = Annotated[float, BeforeValidator(percent), WithJsonSchema({**_TEXT_OR_NUMBER, "description": "e.g. 1% or 0.5%"})]
# Written back with its unit ("5000000ns"), so a dumped model (a run's plan) validates again.
Duration = Annotated[int, BeforeValidator(duration_ns), PlainSerializer(lambda ns: f"{ns}ns", return_type=str),
                     WithJsonSchema({"type": "string", "description": "e.g. 5ms, 250us, 1s"})]
Bitrate = Annotated[int, BeforeValidator(bitrate), WithJsonSchema({**_TEXT_OR_NUMBER,
                                                                   "description": "e.g. 100mbit, 1gbit"})]


class GilbertElliott(Strict):
    """Bursty loss: a good and a bad state, a transition chance per packet, a loss rate in each state."""

    p: Percent = Field(description="chance per packet of going from good to bad")
    r: Percent = Field(description="chance per packet of going from bad back to good (mean burst 1/r packets)")
    bad_loss: Percent = Field(default=100.0, description="loss in the bad state")
    good_loss: Percent = Field(default=0.0, description="loss in the good state")


class Impairment(Strict):
    """What one direction of a link does to its packets; every field is optional (unset: not impaired)."""

    loss: Percent | None = Field(default=None, description="independent loss, e.g. 1%")
    gilbert_elliott: GilbertElliott | None = Field(default=None, description="bursty loss instead of `loss`")
    delay: Duration | None = Field(default=None, description="one-way delay, e.g. 10ms")
    jitter: Duration | None = Field(default=None, description="delay variation, e.g. 2ms (never reorders)")
    distribution: Literal["uniform", "normal"] | None = Field(
        default=None, description="of the jitter: uniform (+-jitter, the default) or normal (jitter = std. dev.)")
    rate: Bitrate | None = Field(default=None, description="bit/s on the wire, e.g. 100mbit")
    limit: int | None = Field(default=None, ge=1, le=1_000_000,
                              description="packets the link holds (delay line and rate queue; default 1000)")
    reorder: Percent | None = Field(default=None, description="packets held back to leave after the next one")
    duplicate: Percent | None = Field(default=None, description="packets sent twice")
    corrupt: Percent | None = Field(default=None, description="packets with one bit flipped past the Ethernet header")

    @model_validator(mode="after")
    def _one_loss_model(self):
        if self.loss is not None and self.gilbert_elliott is not None:
            raise ValueError("give loss or gilbert_elliott, not both")
        return self

    def merged(self, override: Impairment | None) -> Impairment:
        """These fields with the ones `override` sets replacing them."""
        if override is None:
            return self
        update = {name: getattr(override, name) for name in override.model_fields_set}
        if override.gilbert_elliott is not None:  # one loss model per direction: the override's
            update["loss"] = None
        elif override.loss is not None:
            update["gilbert_elliott"] = None
        return self.model_copy(update=update)

    def engine_text(self, seed: int) -> str:
        """The relay's key=value form (ppm, ns, bit/s): what tb-wire --ab/--ba and its control socket take."""
        fields = {"seed": seed}
        if self.loss is not None:
            fields["loss"] = round(self.loss * PPM / 100)
        if (ge := self.gilbert_elliott) is not None:
            fields.update(ge=1, p=_ppm(ge.p), r=_ppm(ge.r), lossbad=_ppm(ge.bad_loss), lossgood=_ppm(ge.good_loss))
        for name in ("delay", "jitter", "rate", "limit"):
            if getattr(self, name) is not None:
                fields[name] = getattr(self, name)
        if self.distribution is not None:
            fields["dist"] = self.distribution
        for name in ("reorder", "duplicate", "corrupt"):
            if getattr(self, name) is not None:
                fields[name] = _ppm(getattr(self, name))
        return ",".join(f"{key}={value}" for key, value in fields.items())


def _ppm(value: float) -> int:
    return round(value * PPM / 100)


class LinkImpairment(Impairment):
    """`impair:` on a link: fields here apply both ways; `forward` (first endpoint to second) and `reverse` override
    them for one direction."""

    forward: Impairment | None = Field(default=None, description="first endpoint -> second: overrides for this way")
    reverse: Impairment | None = Field(default=None, description="second endpoint -> first: overrides for this way")
    seed: int | None = Field(default=None, ge=0, lt=2**64,
                             description="of the decisions (default: from the topology's seed and the link)")
    engine: Literal["ours", "netem"] = Field(
        default="ours", description="ours (reproducible to the packet, everywhere) or netem (the kernel's qdisc, "
        "where the machine has it: both ends kernel interfaces, no seed; docs/impairments.md)")

    def direction(self, forward: bool) -> Impairment:
        """One direction's impairment: the shared fields, then that direction's overrides (all checked already)."""
        shared = Impairment.model_construct(**{name: getattr(self, name) for name in self.model_fields_set
                                               if name in Impairment.model_fields})
        return shared.merged(self.forward if forward else self.reverse)


def link_seed(topology_seed: int, link_name: str) -> int:
    """A link's default seed: the same for the same topology seed and link, unrelated between links."""
    return int.from_bytes(hashlib.sha256(f"{topology_seed}/{link_name}".encode()).digest()[:8], "little")
