"""topology.schema.sweep: the variants `testbed experiment` runs (`testbed run` ignores them)."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from testbed.topology.schema.common import NAME_RE, Strict


class Sweep(Strict):
    """Variants = every combination of `parameters`, plus `baselines`; each run `repeat` times on a fresh lab."""

    parameters: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="dotted path (as for --set) -> values, e.g. nodes.guest.io: [hypercall, poll]; "
        "several paths joined by commas take the same value")
    baselines: dict[Annotated[str, Field(pattern=NAME_RE)], dict[str, Any]] = Field(
        default_factory=dict, description="extra variants by name, each a set of path: value overrides")
    repeat: int = Field(default=3, ge=1, le=1000, description="measured rounds per variant")
    warmup: int = Field(default=1, ge=0, le=100, description="rounds run first and discarded")
    metrics: list[str] = Field(default_factory=list, description="TRAFFIC.METRIC keys to tabulate and plot")
    primary: str | None = Field(default=None, description="the headline metric (default: the first of metrics), "
                                "also given as a ratio to the baseline")
    baseline: str | None = Field(default=None, description="the variant ratios are relative to "
                                 "(default: the first baseline)")

    @field_validator("parameters")
    @classmethod
    def _values(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in value.items():
            if not values:
                raise ValueError(f"{path}: give at least one value")
        return value

    @model_validator(mode="after")
    def _some_variant(self):
        if not self.parameters and not self.baselines:
            raise ValueError("a sweep needs parameters or baselines")
        if self.baseline is not None and self.baseline not in self.baselines:
            raise ValueError(f"baseline {self.baseline!r} is not one of the baselines "
                             f"({', '.join(self.baselines) or 'none'})")
        return self

