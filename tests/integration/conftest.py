"""integration conftest: per-worker run-id prefix and state root, CLI runner, topology writers, and a leak audit.

The audit is by ownership: every run of this worker carries the worker's prefix and keeps its state under the
worker's state root, so at the end anything named tb-PREFIX-*, any process mentioning it and any state left over is
a leak of this test run (other workers and other users are never blamed).
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

# The plugin's listings of namespaces, root links and processes: one reading of the kernel for both audits.
from testbed.pytest_plugin import audit

REPO = Path(__file__).resolve().parents[2]


def worker_prefix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{worker}{secrets.token_hex(2)}"


PREFIX = worker_prefix()


@pytest.fixture(scope="session")
def run_prefix() -> str:
    return PREFIX


TEST_STATE_BASE = Path("/run/testbed-tests")


@pytest.fixture(scope="session")
def session_state_root() -> Path:
    """Not under pytest's tmp (it prunes old sessions), so a leaked run's state stays findable for `down --all`."""
    path = TEST_STATE_BASE / PREFIX
    try:
        path.mkdir(parents=True, exist_ok=True)
    except PermissionError:  # not root: these tests skip (or fail under CI) anyway
        path = Path(tempfile.mkdtemp(prefix="testbed-state-"))
    return path


@pytest.fixture(autouse=True)
def state_root(session_state_root, monkeypatch, request) -> Path:
    """Each test gets its own state root, so `down --all` in one test never touches another test's runs."""
    path = session_state_root / request.node.name[:60].replace("/", "_").replace("[", "_").replace("]", "_")
    path.mkdir(exist_ok=True)
    monkeypatch.setenv("TESTBED_STATE_DIR", str(path))
    return path


def leftovers(prefix: str, state_dir: Path) -> list[str]:
    found = [f"namespace {name}" for name in audit._namespaces() if name.startswith(f"tb-{prefix}")]
    found += [f"root-namespace link {name}" for name in audit._root_links() if prefix in name]
    found += [f"process {pid}: {cmdline}" for pid, cmdline in audit._processes()
              if f"tb-{prefix}" in cmdline or str(state_dir) in cmdline]
    found += [f"state {path}" for path in state_dir.rglob("state.json")]
    return found


@pytest.fixture(scope="session", autouse=True)
def leak_audit(session_state_root):
    """Fails the session (an error in the last teardown) naming anything of this worker's runs left behind."""
    yield
    if os.geteuid() != 0:
        shutil.rmtree(session_state_root, ignore_errors=True)
        return
    deadline = time.monotonic() + audit.SETTLE_SECONDS  # a process killed a moment ago may still be exiting
    while (found := leftovers(PREFIX, session_state_root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not found, "left behind by this test run:\n  " + "\n  ".join(found)
    shutil.rmtree(session_state_root, ignore_errors=True)


@pytest.fixture
def testbed_cli(state_root, run_prefix):
    """Run `testbed ARGS...` as a separate process with this test's state root; returns CompletedProcess."""
    def run(*args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "testbed.cli", *args], cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"testbed {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done
    return run


def cli_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO)}


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
    return [name for name in audit._namespaces() if name.startswith(f"tb-{prefix}")]


@pytest.fixture
def topology_file(tmp_path):
    """topology_file(name, yaml_text) -> Path of the written file."""
    return lambda name, text: write_topology(tmp_path, name, text)


@pytest.fixture
def chain_file(tmp_path):
    """chain_file(count) -> Path of a count-node netns chain."""
    return lambda count: chain_topology(tmp_path, count)


@pytest.fixture
def namespaces_of():
    """namespaces_of(run_id_or_prefix) -> this run's namespaces that exist now."""
    return run_namespaces
