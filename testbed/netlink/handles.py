"""netlink.handles: one pyroute2 NetNS handle per namespace for a whole `up` (opening one forks: ~6-12 ms)."""
from __future__ import annotations

from pyroute2 import NetNS


class Handles:
    def __init__(self) -> None:
        self._open: dict[str, NetNS] = {}

    def __getitem__(self, namespace: str) -> NetNS:
        handle = self._open.get(namespace)
        if handle is None:
            handle = self._open[namespace] = NetNS(namespace)
        return handle

    def index(self, namespace: str, ifname: str) -> int:
        found = self[namespace].link_lookup(ifname=ifname)
        if not found:
            raise LookupError(f"{namespace}: no interface {ifname!r}")
        return found[0]

    def close(self) -> None:
        """Close every handle: an open handle pins its namespace, which would outlive `down`."""
        while self._open:
            _, handle = self._open.popitem()
            try:
                handle.close()
            except Exception:
                pass

    def __enter__(self) -> "Handles":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
