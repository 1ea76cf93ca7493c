"""apply.shm_fds: the supervisor's part of shm links: per link one memfd (two rings), two eventfds and a socketpair,
inherited by the two monitors (their argv's `@LINK:SIDE:MTU:SLOTS` placeholders become the fd numbers).

Imported by the supervisor: standard library only. The supervisor closes its copies once both monitors run, so a
link's memory lives exactly as long as the monitors using it, and a monitor's death hangs up its peer's socket.
"""
from __future__ import annotations

import os
import re
import socket

# What plan.model.ShmNic writes in a monitor's argv: --net-shm:NAME=@LINK:SIDE:MTU:SLOTS.
PLACEHOLDER = re.compile(r"^(--net-shm:[^=]+=)@([A-Za-z0-9_-]+):([01]):(\d+):(\d+)$")
RING_CONTROL_BYTES, SLOT_BYTES, PAGE = 256, 2048, 4096  # tb_ring.h: TB_RING_CTRL_SIZE, TB_SHM_SLOT_SIZE


def ring_span(slots: int) -> int:
    """One ring, page-aligned, as the monitor lays it out (TB_PEER_RING_SPAN)."""
    return (RING_CONTROL_BYTES + slots * SLOT_BYTES + PAGE - 1) // PAGE * PAGE


class _Link:
    def __init__(self, name: str, slots: int):
        self.memfd = os.memfd_create(f"tb-shm-{name}", os.MFD_CLOEXEC)
        os.ftruncate(self.memfd, 2 * ring_span(slots))
        # doorbell[side]: the side's guest kicks it (KVM_IOEVENTFD); the other side sleeps on it.
        self.doorbell = (os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC),
                         os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC))
        ends = socket.socketpair()
        self.socks = tuple(end.detach() for end in ends)

    def fds(self, side: int) -> tuple[int, int, int, int]:
        """memfd, our doorbell, our wake (the peer's doorbell), our socket end."""
        return self.memfd, self.doorbell[side], self.doorbell[1 - side], self.socks[side]

    def close(self) -> None:
        for fd in {self.memfd, *self.doorbell, *self.socks}:
            os.close(fd)


class ShmLinkFds:
    """The fds of every shm link named in a run's launches; `argv` and `pass_fds` per launch, then `close`."""

    def __init__(self, launches: list[dict]):
        self.links: dict[str, _Link] = {}
        try:
            for launch in launches:
                for arg in launch["argv"]:
                    match = PLACEHOLDER.match(arg)
                    if match and match[2] not in self.links:
                        self.links[match[2]] = _Link(match[2], int(match[5]))
        except BaseException:
            self.close()
            raise

    def argv(self, launch: dict) -> tuple[list[str], tuple[int, ...]]:
        argv, fds = [], []
        for arg in launch["argv"]:
            match = PLACEHOLDER.match(arg)
            if not match:
                argv.append(arg)
                continue
            mine = self.links[match[2]].fds(int(match[3]))
            argv.append(f"{match[1]}{','.join(map(str, mine))},{match[3]},{match[4]}")
            fds.extend(mine)
        return argv, tuple(fds)

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        self.links.clear()
