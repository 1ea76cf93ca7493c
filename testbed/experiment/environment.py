"""experiment.environment: the machine and software a result came from, so results compare across machines/commits."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

PACKAGES = ("testbed", "pydantic", "pyroute2", "rich", "matplotlib")


def environment() -> dict:
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kvm": kvm_flavour(),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in PACKAGES},
        "monitor_sha256": _monitor_digest(),
        "git": git_revision(),
    }


def kvm_flavour() -> str:
    """pvm (nested, software), vmx/svm (hardware), or none: it decides what an exit costs."""
    if not Path("/dev/kvm").exists():
        return "none"
    for module in ("kvm_pvm", "kvm_intel", "kvm_amd"):
        if Path(f"/sys/module/{module}").exists():
            return {"kvm_pvm": "pvm", "kvm_intel": "vmx", "kvm_amd": "svm"}[module]
    return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def git_revision() -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def topology_hash(path: str | os.PathLike, overrides: dict | None = None) -> str:
    """The file's bytes and the command line's overrides: the same hash means the same experiment."""
    digest = hashlib.sha256(Path(path).read_bytes())
    digest.update(json.dumps(overrides or {}, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _monitor_digest() -> str | None:
    try:
        from testbed.paths import monitor_path

        return hashlib.sha256(monitor_path().read_bytes()).hexdigest()[:16]
    except Exception:  # noqa: BLE001 - not built: the environment is still worth recording
        return None
