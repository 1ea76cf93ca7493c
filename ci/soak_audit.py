"""soak_audit: what a soak left behind, by ownership: names and command lines carrying its token, its state roots."""
from __future__ import annotations

import subprocess
from pathlib import Path

from testbed.pytest_plugin import audit


def leftovers(token: str, soak_root: Path, before: audit.Snapshot) -> dict[str, list[str]]:
    """Namespaces (with the links inside them), processes, state directories; root links that appeared meanwhile."""
    roots = [path for path in soak_root.iterdir() if path.is_dir()] if soak_root.is_dir() else []
    found = audit.ours(token, roots)
    namespaces = [line.split(" ", 1)[1] for line in found if line.startswith("namespace ")]
    processes = [line for line in found if line.startswith("process ")]
    processes += [f"process {pid}: {line}" for pid, line in audit._processes()
                  if str(soak_root) in line and f"process {pid}: {line}" not in processes]
    state = [line.split(" ", 1)[1] for line in found if line.startswith("state ")]
    links = [f"{ns}: {link}" for ns in namespaces for link in _links_in(ns)]
    links += [f"root namespace: {name} (appeared during the soak; may be someone else's)"
              for name in sorted(audit.take().links - before.links)]
    return {"namespaces": namespaces, "links": links, "processes": processes, "state": state}


def _links_in(namespace: str) -> list[str]:
    done = subprocess.run(["ip", "-n", namespace, "-o", "link", "show"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, check=False)
    return [line.split(":")[1].strip() for line in done.stdout.splitlines() if ":" in line]
