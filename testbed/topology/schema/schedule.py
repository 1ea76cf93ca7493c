"""topology.schema.schedule: `schedule:`, timed events relative to the start of traffic: a link down or up, an
impairment change, a unikernel node stopped or started (failure experiments)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from testbed.topology.schema.common import OneKind
from testbed.topology.schema.impair import DURATION_RE, Impairment, duration_ns

MAX_AT_SECONDS = 24 * 3600


def seconds(value: object) -> float:
    """`2s`, `500ms`, or a number of seconds (as traffic's delay) -> seconds."""
    if isinstance(value, bool):
        raise ValueError("a time, e.g. 2s, 500ms or 1.5 (seconds)")  # noqa: TRY004 (pydantic reports ValueError)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and DURATION_RE.match(value):
        number = duration_ns(value) / 1e9
    else:
        raise ValueError(f"{value!r} is not a time, e.g. 2s, 500ms or 1.5 (seconds)")
    if not 0 <= number <= MAX_AT_SECONDS:
        raise ValueError(f"{value!r} is not between 0 and a day")
    return number


Seconds = Annotated[float, BeforeValidator(seconds), Field(description="seconds, or e.g. 500ms, 2s")]
LinkName = Annotated[str, Field(description="NODE:IF of either end of an impaired link (or NODE:IF--NODE:IF)")]


class ImpairChange(Impairment):
    """New values for an impaired link's fields (the others stay; `clear` starts from a plain wire)."""

    link: LinkName
    direction: Literal["both", "forward", "reverse"] = Field(default="both",
                                                             description="forward: first endpoint to second")
    clear: bool = Field(default=False, description="start from a plain wire, then apply the values given")


class ScheduleEvent(OneKind):
    """One timed event: `at` and exactly one action."""

    SHARED = ("at",)
    WHAT = "a schedule event"

    at: Seconds = Field(description="after the start of traffic")
    link_down: LinkName | None = Field(default=None, description="every packet on the link dropped, both ways")
    link_up: LinkName | None = Field(default=None, description="the link carries packets again")
    impair: ImpairChange | None = Field(default=None, description="change an impaired link's impairment")
    node_stop: str | None = Field(default=None, description="a unikernel node frozen (its monitor stopped)")
    node_start: str | None = Field(default=None, description="a stopped unikernel node running again")

    def describe(self) -> str:
        if self.impair is not None:
            given = self.impair.model_dump(exclude={"link", "direction", "clear"}, exclude_none=True)
            what = ", ".join(f"{key} {value}" for key, value in given.items()) or "no values"
            return f"impair {self.impair.link} ({self.impair.direction}{', clear' if self.impair.clear else ''}): {what}"
        return f"{self.kind.replace('_', ' ')} {self.spec}"
