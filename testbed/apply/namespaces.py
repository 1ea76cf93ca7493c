"""apply.namespaces: creates and enters named network namespaces from the calling thread (no fork: ~0.1 ms, not ~20 ms).

Like `ip netns add`: unshare a new network namespace and bind-mount it on /run/netns/NAME, but per thread
(/proc/thread-self) and returning to the original namespace at once, with SIGINT/SIGTERM held off meanwhile so an
exception can never leave this thread in the wrong namespace.
"""
from __future__ import annotations

import ctypes
import errno
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from testbed.apply.nsenter import CLONE_NEWNET, NETNS_DIR, netns_path

MS_BIND, MS_REC, MS_SHARED = 4096, 16384, 1 << 20
HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_libc = ctypes.CDLL(None, use_errno=True)
_rundir_ready = False


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _share_rundir() -> None:
    """/run/netns must be a shared mount so namespace mounts are visible to every process (as iproute2 does)."""
    global _rundir_ready
    if _rundir_ready:
        return
    os.makedirs(NETNS_DIR, exist_ok=True)
    if _libc.mount(b"", NETNS_DIR.encode(), b"none", MS_SHARED | MS_REC, None) != 0:
        _check(_libc.mount(NETNS_DIR.encode(), NETNS_DIR.encode(), b"none", MS_BIND | MS_REC, None), "bind /run/netns")
        _check(_libc.mount(b"", NETNS_DIR.encode(), b"none", MS_SHARED | MS_REC, None), "share /run/netns")
    _rundir_ready = True


@contextmanager
def _signals_held() -> Iterator[None]:
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def _returning() -> Iterator[None]:
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        yield
    finally:
        try:
            _check(_libc.setns(home, CLONE_NEWNET), "setns back")
        finally:
            os.close(home)


def create(name: str) -> None:
    """Create /run/netns/NAME; fails with EEXIST rather than adopt a namespace someone else made."""
    _share_rundir()
    path = netns_path(name)
    with _signals_held(), _returning():
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0))
        try:
            _check(_libc.unshare(CLONE_NEWNET), f"unshare for {name}")
            _check(_libc.mount(b"/proc/thread-self/ns/net", path.encode(), b"none", MS_BIND, None), f"mount {path}")
        except OSError:
            os.unlink(path)
            raise


def remove(name: str) -> bool:
    """Unmount and unlink /run/netns/NAME; False if it was not there. The kernel frees it with its last user."""
    path = netns_path(name)
    if _libc.umount2(path.encode(), 2) != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
        _check(-1, f"umount {path}")
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


@contextmanager
def inside(name: str) -> Iterator[None]:
    """Run the body with this thread in the namespace (e.g. to open a netlink socket or a TAP there)."""
    fd = os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        with _signals_held(), _returning():
            _check(_libc.setns(fd, CLONE_NEWNET), f"setns {name}")
            yield
    finally:
        os.close(fd)


def create_all(names: list[str], workers: int = 4) -> list[tuple[str, BaseException]]:
    """create() each name from several threads at once (the kernel's share of creating a namespace runs in
    parallel); returns the names that failed with why. Every started creation has finished when this returns,
    also when a signal interrupts it, so a rollback never races a namespace still being made."""
    _share_rundir()  # once, before the threads race to do it
    return _each_in_threads(create, names, workers, "netns-create")


def remove_all(names: list[str], workers: int = 4) -> list[tuple[str, BaseException]]:
    """remove() each name from several threads at once (3,000 namespaces: 0.7 s one by one, 0.3 s from four)."""
    return _each_in_threads(remove, names, workers, "netns-remove")


def _each_in_threads(action, names: list[str], workers: int, label: str) -> list[tuple[str, BaseException]]:
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=label)
    try:
        # The workers start here and inherit the held mask: SIGINT/SIGTERM only ever land in this thread.
        with _signals_held():
            futures = [(name, pool.submit(action, name)) for name in names]
        return [(name, error) for name, future in futures if (error := future.exception()) is not None]
    finally:
        with _signals_held():  # the drain itself must not be cut short
            pool.shutdown(wait=True, cancel_futures=True)
