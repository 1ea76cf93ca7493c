"""run.shm_counters: a running shm link's state and counters, read live from its rings (through a monitor's memfd,
/proc/PID/fd/N) without asking either monitor: frames each way (the producers' free-running indices, mod 2^32) and
frames waiting to be read. The indices are the guests' own words, reported as they claim them."""
from __future__ import annotations

import os
import re
import struct

from testbed.apply.procs import ProcessId
from testbed.apply.shm_fds import ring_span

SHM_ARG = re.compile(r"^--net-shm:([^=]+)=(\d+),\d+,\d+,\d+,([01]),\d+$")
PROD_OFFSET, CONS_OFFSET = 64, 128  # tb_ring.h: the producer's and the consumer's cache lines


def row(lab, index: int) -> dict | None:
    """`testbed links`' row for link `index` when it is an shm link, else None."""
    ends = [(monitor, nic) for monitor in lab.plan.monitors for nic in monitor.shm_nics
            if nic.link.endswith(f"-l{index}")]
    if not ends:
        return None
    processes = lab.processes()
    (monitor, nic) = next((end for end in ends if end[1].side == 0), ends[0])
    alive = {m.node: _alive(processes.get(m.node)) for m, _ in ends}
    rings = _read_rings(processes.get(monitor.node), nic.name, nic.slots) if alive[monitor.node] else None
    if rings is None and len(ends) == 2:  # side 0 is gone: read through the other end
        other_monitor, other_nic = next(end for end in ends if end[1] is not nic)
        if alive[other_monitor.node]:
            rings = _read_rings(processes.get(other_monitor.node), other_nic.name, other_nic.slots)
    directions = {wire: {"frames": None, "pending": None} for wire in ("ab", "ba")}
    if rings is not None:
        for wire, (prod, cons) in zip(("ab", "ba"), rings):
            directions[wire] = {"frames": prod, "pending": (prod - cons) & 0xFFFFFFFF}
    return {"link": f"{monitor.node}:{nic.name}--{nic.peer}", "index": index, "mechanism": "shm",
            "state": "up" if all(alive.values()) else "down", "alive": alive, "directions": directions}


def _alive(process: dict | None) -> bool:
    identity = ProcessId.from_json(process) if process else None
    return bool(identity and process.get("exit") is None and identity.alive())


def _read_rings(process: dict | None, nic: str, slots: int) -> list[tuple[int, int]] | None:
    """(prod, cons) of ring 0 (side 0 sends) and ring 1, through the monitor's inherited memfd; None if unreadable."""
    memfd = next((int(m[2]) for arg in (process or {}).get("argv", ()) if (m := SHM_ARG.match(arg)) and m[1] == nic),
                 None)
    if memfd is None:
        return None
    try:
        fd = os.open(f"/proc/{process['pid']}/fd/{memfd}", os.O_RDONLY)
    except OSError:
        return None
    try:
        return [(_word(fd, ring * ring_span(slots) + PROD_OFFSET), _word(fd, ring * ring_span(slots) + CONS_OFFSET))
                for ring in (0, 1)]
    finally:
        os.close(fd)


def _word(fd: int, offset: int) -> int:
    return struct.unpack("<I", os.pread(fd, 4, offset))[0]
