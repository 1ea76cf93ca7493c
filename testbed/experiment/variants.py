"""experiment.variants: a sweep's variants (baselines, then every combination of its parameters), each an override set.

IO modes the monitor does not have (asked from the monitor itself) are skipped and said so, so one topology
sweeps whatever modes this build supports."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from testbed.topology.schema import Sweep


@dataclass(frozen=True)
class Variant:
    name: str
    overrides: dict = field(default_factory=dict)
    baseline: bool = False


def expand(sweep: Sweep, supported_io: tuple[str, ...] | None = None) -> tuple[list[Variant], list[dict]]:
    """(variants to run, skipped [{variant, reason}])."""
    variants = [Variant(name, dict(overrides), baseline=True) for name, overrides in sweep.baselines.items()]
    skipped = []
    keys = list(sweep.parameters)
    for values in itertools.product(*(sweep.parameters[key] for key in keys)):
        name = _name(dict(zip(keys, values, strict=True)))
        # "nodes.a.io,nodes.b.io": one parameter setting several fields (every guest in the same mode).
        overrides = {path.strip(): value for key, value in zip(keys, values, strict=True) for path in key.split(",")}
        lacking = [value for path, value in overrides.items()
                   if supported_io is not None and path.split(".")[-1] == "io" and value not in supported_io]
        if lacking:
            skipped.append({"variant": name, "reason": f"the monitor has no io mode {lacking[0]!r} "
                                                      f"(it has: {', '.join(supported_io)})"})
            continue
        variants.append(Variant(name, overrides))
    return variants, skipped


def _name(overrides: dict) -> str:
    """The value alone for a one-parameter sweep (hypercall); LEAF=VALUE pairs otherwise (io=poll,size=64)."""
    if len(overrides) == 1:
        return str(next(iter(overrides.values())))
    return ",".join(f"{key.split(',')[0].split('.')[-1]}={value}" for key, value in overrides.items())
