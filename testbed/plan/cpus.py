"""plan.cpus: each unikernel's CPU placement (vCPU core, IO thread core and priority) from its `cpus:` field."""
from __future__ import annotations

import os

from testbed.plan import model as p
from testbed.topology.schema import Cpus, Topology

# The traffic sources (host-side generators, the kernel's TAP work) are left on core 0; the IO thread joins
# them there, one step ahead of them in priority, so the TAP queue it drains never overflows behind a sender.
SOURCE_CORE = 0
AUTO_IO_NICE = -5


def available_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def machine_busy(cores: int) -> bool:
    """More runnable work than all cores but one: a pinned thread could not move off a busy core.

    Measured on a 2-core host at load ~10 (ci/bench udp-rx): pinned guests received 0.3-0.5x the ceiling where
    the same guests unpinned received 2.5-4.6x; so auto pins only when a core is free for the vCPU.
    """
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    return load > max(cores - 1, 0.5)


def assign_cpus(monitors: tuple[p.Monitor, ...], topology: Topology, problems: list[str],
                cpus: list[int] | None = None) -> tuple[p.Monitor, ...]:
    """The monitors with their placement; a core this machine does not have is a problem, as any bad field."""
    cpus = available_cpus() if cpus is None else cpus
    nodes = {m.node: topology.nodes[m.node] for m in monitors}
    explicit = {name: node.cpus for name, node in nodes.items() if isinstance(node.cpus, Cpus)}
    for name, spec in explicit.items():
        for field in ("vcpu", "io"):
            core = getattr(spec, field)
            if core is not None and core not in cpus:
                problems.append(f"nodes.{name}.cpus.{field}: core {core} is not available here "
                                f"(cores: {', '.join(map(str, cpus))})")
    auto = [name for name, node in nodes.items() if node.cpus == "auto"]
    placed = {name: p.Placement(vcpu=s.vcpu, io=s.io, io_nice=s.io_nice) for name, s in explicit.items()}
    placed.update(auto_placement(auto, cpus, taken={s.vcpu for s in explicit.values() if s.vcpu is not None}))
    return tuple(m.model_copy(update={"cpus": placed[m.node]}) if m.node in placed else m for m in monitors)


def auto_placement(names: list[str], cpus: list[int], taken: frozenset[int] | set[int] = frozenset()
                   ) -> dict[str, p.Placement]:
    """A core of its own per vCPU, from the highest down, when every auto guest gets one and the machine is not
    busy; else all unpinned.

    Half-pinning a crowd (some vCPUs alone, the rest squeezed) would make guests of one topology unequal.
    """
    spare = [c for c in reversed(cpus) if c != SOURCE_CORE and c not in taken]
    if SOURCE_CORE not in cpus or not names or len(names) > len(spare) or machine_busy(len(cpus)):
        return {}
    return {name: p.Placement(vcpu=core, io=SOURCE_CORE, io_nice=AUTO_IO_NICE) for name, core in zip(names, spare)}
