"""apply.shm_fds: the supervisor's part of shm links: per link one memfd (two rings), two eventfds and a socketpair,
inherited by the two monitors (their argv's `@LINK:SIDE:MTU:SLOTS` placeholders become the fd numbers).

Imported by the supervisor: standard library only. The supervisor closes its copies once both monitors run, so a
link's memory lives exactly as long as the monitors using it, and a monitor's death hangs up its peer's socket.
"""
from __future__ import annotations

import os
import re
import resource
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
    """The fds of every shm link named in a run's launches; `argv` per launch in start order, then `close`.

    A link's fds are made when its first end is launched and closed once its second end has been (at the next
    `argv` call: the previous monitor has been started by then), so a run with thousands of links keeps only the
    half-started ones open; the soft fd limit is raised to the hard one for those."""

    def __init__(self, launches: list[dict]):
        self.links: dict[str, _Link] = {}
        self.ends_left: dict[str, int] = {}
        for launch in launches:
            for arg in launch["argv"]:
                match = PLACEHOLDER.match(arg)
                if match:
                    self.ends_left[match[2]] = self.ends_left.get(match[2], 0) + 1
        self.handed_out: list[str] = []  # links whose last end went to the previous launch
        if self.ends_left:
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if soft < hard:
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    def argv(self, launch: dict) -> tuple[list[str], tuple[int, ...]]:
        self._close_handed_out()
        argv, fds = [], []
        for arg in launch["argv"]:
            match = PLACEHOLDER.match(arg)
            if not match:
                argv.append(arg)
                continue
            name = match[2]
            if name not in self.links:
                self.links[name] = _Link(name, int(match[5]))
            mine = self.links[name].fds(int(match[3]))
            argv.append(f"{match[1]}{','.join(map(str, mine))},{match[3]},{match[4]}")
            fds.extend(mine)
            self.ends_left[name] -= 1
            if self.ends_left[name] == 0:
                self.handed_out.append(name)
        return argv, tuple(fds)

    def _close_handed_out(self) -> None:
        for name in self.handed_out:
            self.links.pop(name).close()
        self.handed_out.clear()

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        self.links.clear()
        self.handed_out.clear()
