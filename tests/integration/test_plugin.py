"""The pytest plugin as a user meets it: a pytest run that pytester starts in a subprocess (so its exit status,
report and cleanup are observable) keeps a failed test's lab files and names the folder, drops a passing test's,
fails the run naming a lab left behind (also under xdist), and tears a lab down when Ctrl-C interrupts the test."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from framework.lab import NETNS_PAIR, PINGPAIR
from framework.waits import wait_for

AS_FROM_A_TERMINAL = """
# Ctrl-C as at a terminal even when the outer suite runs in the background, where the shell leaves SIGINT ignored
# (an ignored signal stays ignored across exec, and Python then never raises KeyboardInterrupt).
import signal
signal.signal(signal.SIGINT, signal.default_int_handler)
"""
XDIST_ENV = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST")


@pytest.fixture
def inner(pytester, monkeypatch):
    """A pytester directory for an inner pytest run of its own (the outer xdist variables removed)."""
    for name in XDIST_ENV:
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\nfaulthandler_timeout = 30\n")  # a hung test shows where
    pytester.makeconftest(AS_FROM_A_TERMINAL)
    return pytester


def write_tests(pytester, files: dict[str, str]) -> None:
    pytester.makepyfile(**{Path(name).stem: textwrap.dedent(text) for name, text in files.items()})


def run_inner(pytester, files: dict[str, str], *args: str, timeout: float = 120):
    """`pytest ARGS` on the given test files, run to its end; (exit status, stdout and stderr as one text)."""
    write_tests(pytester, files)
    try:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args, timeout=timeout)
    except pytester.TimeoutExpired as exc:
        raise AssertionError(f"the inner pytest hung for {timeout} s: {exc}") from None
    return result.ret, result.stdout.str() + "\n" + result.stderr.str()


def signal_masks(pid) -> str:
    """Blocked, ignored and caught signals as /proc shows them (SIGINT is bit 1): why a signal did nothing."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return " ".join(line.replace("\t", "") for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def finish(process: subprocess.Popen, timeout: float = 120, why: str = "") -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"the inner pytest hung for {timeout} s ({why}); its output:\n{output}") from None
    return output


def namespaces_with(token: str) -> list[str]:
    return [name for name in os.listdir("/run/netns") if f"-{token}-" in name] if os.path.isdir("/run/netns") else []


def run_token(output: str) -> str:
    """The inner run's token, from a lab name it printed (tb-main-TOKEN-RUN-NODE or main-TOKEN-RUN)."""
    match = re.search(r"(?:main|gw\d+)-([0-9a-f]{6})-[0-9a-f]{6}", output)
    assert match, output
    return match.group(1)


def test_failed_test_keeps_its_lab_files_and_a_passing_one_does_not(kvm, inner):
    returncode, output = run_inner(inner, {"test_user.py": f"""
        import os, signal

        def test_passes(testbed_lab):
            with testbed_lab({str(NETNS_PAIR)!r}) as lab:
                assert lab.ping("left", "right", count=3).received >= 3

        def test_fails_plainly(testbed_lab):
            with testbed_lab({str(PINGPAIR)!r}) as lab:
                assert lab.ping("host", "guest", count=2).received == 3

        def test_monitor_killed_mid_test(testbed_lab):
            with testbed_lab({str(PINGPAIR)!r}) as lab:
                print("lab", lab.run_id)
                assert lab.ping("host", "guest", count=3, interval=0.01).received >= 3
                os.kill(lab.processes()["guest"]["pid"], signal.SIGKILL)
                assert lab.ping("host", "guest", count=3, interval=0.01, timeout=1).received == 3
    """}, "-s")
    assert returncode == 1, output
    assert "2 failed, 1 passed" in output, output
    kept = {Path(path).name: Path(path) for path in re.findall(r"lab files of this test kept in (\S+)", output)}
    assert set(kept) == {"test_user.py--test_fails_plainly", "test_user.py--test_monitor_killed_mid_test"}, output
    assert {path.parent for path in kept.values()} == {inner.path / "testbed-artifacts"}
    (plain,) = [path for path in kept["test_user.py--test_fails_plainly"].iterdir() if path.is_dir()]
    assert json.loads((plain / "stats" / "guest.json").read_text())["vm_exits"] > 0  # the monitor's final stats
    (run_dir,) = [path for path in kept["test_user.py--test_monitor_killed_mid_test"].iterdir() if path.is_dir()]
    assert "ready:" in (run_dir / "console" / "guest.log").read_text()
    state = (run_dir / "state.json").read_text()
    assert '"exit": -9' in state or '"exit": 137' in state, state  # the supervisor saw the monitor die of SIGKILL
    (before_kill, *_) = json.loads((run_dir / "results.json").read_text())  # the pings were recorded
    assert before_kill["ping"]["received"] >= 3, before_kill
    assert sorted(p.name for p in (inner.path / "testbed-artifacts").iterdir()) == sorted(kept), \
        "the passing test's files should be gone"
    assert "left behind by this run" not in output
    assert namespaces_with(run_token(output)) == []


def test_a_lab_left_behind_fails_the_run_under_xdist(root, inner, testbed_cli):
    returncode, output = run_inner(inner, {"test_leaky.py": f"""
        from testbed.lab import Lab

        def test_forgets_its_lab(testbed_name_prefix):
            Lab.up({str(NETNS_PAIR)!r}, name_prefix=testbed_name_prefix)  # never torn down: a leak

        def test_clean(testbed_lab):
            with testbed_lab({str(NETNS_PAIR)!r}):
                pass
    """}, "-n", "2")
    try:
        assert "2 passed" in output and returncode == 1, output
        section = output.split("left behind by this run", 1)[1]
        token = run_token(section)
        leaked = namespaces_with(token)
        assert sorted(leaked) and all(f"namespace {name}" in section for name in leaked), section
        assert re.search(r"state \S+gw\d-" + token, section), section
    finally:
        testbed_cli("down", "--all")  # the leaked run lives under this test's state root


def test_ctrl_c_in_a_test_tears_its_lab_down(kvm, inner):
    started = inner.path / "started"
    write_tests(inner, {"test_slow.py": f"""
        import json, pathlib, time

        def test_long(testbed_lab):
            with testbed_lab({str(PINGPAIR)!r}) as lab:
                pathlib.Path({str(started)!r}).write_text(json.dumps(
                    {{"run": lab.run_id, "dir": str(lab.state_dir), "monitor": lab.processes()["guest"]["pid"]}}))
                time.sleep(60)  # until interrupted
    """})
    process = inner.popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def started_file() -> bool:
        assert process.poll() is None, finish(process)
        return started.exists()
    wait_for(started_file, 30, "the inner test to bring its lab up and say so in a file")
    lab = json.loads(started.read_text())
    assert namespaces_with(lab["run"].split("-")[1]), "the lab should be up before the interrupt"
    masks = signal_masks(process.pid)
    process.send_signal(signal.SIGINT)
    output = finish(process, timeout=60, why=f"inner {masks}; ours {signal_masks('thread-self')}")
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output, output
    assert namespaces_with(lab["run"].split("-")[1]) == [], output
    assert not Path(lab["dir"]).exists() and not os.path.exists(f"/proc/{lab['monitor']}/stat"), output
