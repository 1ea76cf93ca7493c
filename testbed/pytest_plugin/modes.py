"""pytest_plugin.modes: the network IO modes this build of the monitor supports, read from the monitor itself."""
from __future__ import annotations

import functools
import re
import subprocess

# The monitor's --help prints its mode table: "--io=MODE  network I/O mode: hypercall, poll (default hypercall)".
HELP_RE = re.compile(r"--io=MODE\s.*?:\s*([a-z0-9_, -]+?)\s*\(default")
FALLBACK = ("hypercall",)  # every monitor has it; used when the monitor is not built (collection must not fail)


@functools.cache
def io_modes() -> tuple[str, ...]:
    """The modes to parametrise over. Asking the monitor keeps this the only place to extend: a new mode in its
    table (monitor/tender/io/io.c) shows up in every @pytest.mark.testbed_io_modes test without touching a test."""
    from testbed.paths import MissingBuildError, monitor_path

    try:
        done = subprocess.run([str(monitor_path()), "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=10, check=False)
    except (MissingBuildError, OSError, subprocess.TimeoutExpired):
        return FALLBACK
    match = HELP_RE.search(done.stdout)
    if not match:  # a built monitor whose help we cannot read: parametrising over one mode would hide it
        raise RuntimeError(f"{monitor_path()} --help: no '--io=MODE ...: MODES (default' line to read the modes from")
    return tuple(mode.strip() for mode in match.group(1).split(",") if mode.strip())
