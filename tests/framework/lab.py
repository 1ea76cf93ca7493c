"""framework.lab: what lab tests share: the run prefix and state roots the plugin's leak audit covers, the
`testbed` CLI as a child process, topology files written on the fly, and a run's namespaces."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from framework.waits import LineReader
from testbed.pytest_plugin import audit

REPO = Path(__file__).resolve().parents[2]
TOPOLOGIES = REPO / "topologies"
PINGPAIR, NETNS_PAIR = TOPOLOGIES / "pingpair.yaml", TOPOLOGIES / "netns-pair.yaml"
BRIDGE3 = TOPOLOGIES / "bridge3.yaml"
TEST_STATE_BASE = Path("/run/testbed-tests")  # not pytest's tmp (it prunes old sessions): a leak stays findable


def cli_env(pause_after: str | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if pause_after:
        env["TESTBED_PAUSE_AFTER"] = pause_after  # `up` waits there, so a signal lands at a known stage
    return env


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "testbed.cli", *args]


def start_cli(*args: str, pause_after: str | None = None, **popen) -> subprocess.Popen:
    """`testbed ARGS` as a child process (stdout and stderr piped as text unless told otherwise)."""
    popen = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **popen}
    return subprocess.Popen(cli_argv(*args), cwd=REPO, env=cli_env(pause_after), **popen)


def run_cli(*args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess:
    done = subprocess.run(cli_argv(*args), cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"testbed {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def write_topology(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def chain_topology(directory: Path, count: int, name: str = "chain") -> Path:
    """count netns nodes in a line, each link its own /30."""
    lines = [f"name: {name}", "nodes:"] + [f"  n{i}: {{kind: netns}}" for i in range(count)] + ["links:"]
    for i in range(count - 1):
        lines.append(f"  - {{endpoints: [n{i}:right, n{i + 1}:left], subnet: 10.{i // 64}.{(i % 64) * 4}.0/30}}")
    path = directory / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_namespaces(prefix: str) -> list[str]:
    """The namespaces of runs named PREFIX... that exist now."""
    return [name for name in audit._namespaces() if name.startswith(f"tb-{prefix}")]


def remove_if_clean(session_root: Path) -> None:
    """Drops the tests' state roots, except one still holding a run: that is a leak, which the plugin's audit names
    (and `testbed down --all` with that root cleans up)."""
    if not session_root.is_dir():
        return
    for test_root in session_root.iterdir():
        if not any(test_root.glob("*/state.json")):
            shutil.rmtree(test_root, ignore_errors=True)
    try:
        session_root.rmdir()
    except OSError:
        pass


def wait_paused(process: subprocess.Popen, stage: str, timeout: float = 30) -> LineReader:
    """Until `up` (started with pause_after=stage) says on stderr that it paused there; the reader keeps the rest
    of its stderr (for ended())."""
    stderr = LineReader(process.stderr)
    stderr.wait_line(lambda line: f"paused after {stage}" in line, timeout, f"`up` to pause after {stage}")
    return stderr


def ended(process: subprocess.Popen, stderr: LineReader, timeout: float = 30) -> str:
    """Waits for the process to end; its stderr, as far as the reader has it."""
    process.wait(timeout=timeout)
    return "\n".join(stderr.rest())
