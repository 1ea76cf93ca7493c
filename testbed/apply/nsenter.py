"""apply.nsenter: run code or programs inside a named network namespace (setns), without shelling out to `ip`."""
from __future__ import annotations

import ctypes
import os
import subprocess
import threading
from collections.abc import Callable

CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
MS_REC, MS_SLAVE, MNT_DETACH = 16384, 1 << 19, 2
NETNS_DIR = "/run/netns"
_libc = ctypes.CDLL(None, use_errno=True)


def netns_path(name: str) -> str:
    return os.path.join(NETNS_DIR, name)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


def _enter_for_exec(fd: int) -> None:
    """Enter the network namespace and, as `ip netns exec` does, see its own devices under /sys.

    The /sys remount needs a private mount namespace and a single-threaded caller; where it can't be had the
    command still runs in the right network namespace (netlink-based tools don't read /sys)."""
    _setns(fd)
    if _libc.unshare(CLONE_NEWNS) != 0:
        return
    _libc.mount(b"", b"/", b"none", MS_SLAVE | MS_REC, None)  # our remount must not leak to the host
    if _libc.umount2(b"/sys", MNT_DETACH) == 0:
        _libc.mount(b"sysfs", b"/sys", b"sysfs", 0, None)


def popen(namespace: str, argv: list[str], **kwargs) -> subprocess.Popen:
    """Start argv inside the namespace; the child enters it between fork and exec."""
    fd = os.open(netns_path(namespace), os.O_RDONLY | os.O_CLOEXEC)
    try:
        # preexec_fn makes a few libc calls (setns, unshare, mount) between fork and exec: no Python locks.
        return subprocess.Popen(argv, preexec_fn=lambda: _enter_for_exec(fd), **kwargs)  # noqa: PLW1509
    finally:
        os.close(fd)


def exec_in(namespace: str, argv: list[str]) -> None:
    """Replace this process by argv inside the namespace (as `ip netns exec` does): signals and the terminal go
    straight to the command, so Ctrl-C in an interactive shell reaches the shell, not us."""
    fd = os.open(netns_path(namespace), os.O_RDONLY | os.O_CLOEXEC)
    try:
        _enter_for_exec(fd)
    finally:
        os.close(fd)
    os.execvp(argv[0], argv)


def run(namespace: str, argv: list[str], timeout: float | None = None, **kwargs) -> subprocess.CompletedProcess:
    with popen(namespace, argv, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            process.kill()
            process.wait()
            raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def call_in(namespace: str, function: Callable[[], object]) -> object:
    """Run function in a short-lived thread that has entered the namespace (setns is per thread for CLONE_NEWNET)."""
    outcome: dict[str, object] = {}
    fd = os.open(netns_path(namespace), os.O_RDONLY | os.O_CLOEXEC)

    def body() -> None:
        try:
            _setns(fd)
            outcome["value"] = function()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
            outcome["error"] = exc

    try:
        thread = threading.Thread(target=body, name=f"netns:{namespace}")
        thread.start()
        thread.join()
    finally:
        os.close(fd)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")
