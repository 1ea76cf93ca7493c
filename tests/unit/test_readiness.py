"""Readiness waits on real files: a `ready:` line passes, an exited monitor or a timeout fails naming node and tail."""
from __future__ import annotations

import pytest

from testbed.apply.readiness import wait_ready
from testbed.down.state import RunDir
from testbed.errors import NodeNotReady


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("TESTBED_STATE_DIR", str(tmp_path))
    return RunDir.create("r1", {"run_id": "r1"})


def test_ready_line_passes(run):
    run.console_path("guest").write_text("booting\nready: ping-serve ip=10.0.0.2/30\n")
    wait_ready(run, ["guest"], timeout=1)


def test_timeout_names_the_node_and_shows_the_console_tail(run):
    run.console_path("guest").write_text("booting\nstill booting\n")
    with pytest.raises(NodeNotReady, match=r"(?s)node guest: not ready within 0.05 s.*still booting"):
        wait_ready(run, ["guest"], timeout=0.05)


def test_an_exited_monitor_fails_at_once_with_its_status(run):
    run.console_path("guest").write_text("ping-serve: unknown argument '--x'\n")
    run.update(lambda state: state["processes"].__setitem__("guest", {"pid": 1, "start": 1, "exit": 2}))
    with pytest.raises(NodeNotReady, match=r"(?s)exited with status 2.*unknown argument"):
        wait_ready(run, ["guest"], timeout=30)
