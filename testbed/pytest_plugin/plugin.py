"""pytest_plugin.plugin: the hooks: options and markers, IO-mode parametrising, artefacts in failure reports, and
the run-level audit that fails the run naming anything of its labs left behind."""
from __future__ import annotations

import pytest

from testbed.pytest_plugin import artifacts, audit
from testbed.pytest_plugin.fixtures import testbed_lab, testbed_name_prefix  # noqa: F401 (registered fixtures)
from testbed.pytest_plugin.modes import io_modes
from testbed.pytest_plugin.session import SESSION_KEY, Session

IO_MODE_ARG = "io_mode"
LEAKS_KEY = pytest.StashKey[list]()
WORKER_LEAKS_KEY = pytest.StashKey[list]()
WORKER_OUTPUT = "testbed_leftovers"  # a worker's own audit, sent back through xdist's workeroutput
STRANGERS_KEY = pytest.StashKey[list]()


def pytest_addoption(parser) -> None:
    group = parser.getgroup("testbed")
    group.addoption(artifacts.OPTION, metavar="DIR", default=None,
                    help=f"keep a failed test's lab files (consoles, stats, state, results) under DIR "
                         f"(default: ROOTDIR/{artifacts.DEFAULT_FOLDER})")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", f"testbed_io_modes: run the test once per network IO mode the monitor "
                                       f"supports, passing the mode as the `{IO_MODE_ARG}` argument")
    config.stash[SESSION_KEY] = Session.start(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller, per worker: share the run's token (lab names) and ledger (state roots) with it."""
    node.config.stash[SESSION_KEY].to_worker(node.workerinput)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist controller, per worker that ended: keep what it found of its labs on its machine."""
    reported = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT, [])
    node.config.stash.setdefault(WORKER_LEAKS_KEY, []).extend(reported)


def pytest_generate_tests(metafunc) -> None:
    if metafunc.definition.get_closest_marker("testbed_io_modes") is None:
        return
    if IO_MODE_ARG not in metafunc.fixturenames:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: @pytest.mark.testbed_io_modes needs an "
                                f"`{IO_MODE_ARG}` argument")
    metafunc.parametrize(IO_MODE_ARG, io_modes())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    artifacts.settle(item, report)
    return report


@pytest.hookimpl(trylast=True)  # after xdist has stopped its workers: the run is over, their labs should be too
def pytest_sessionfinish(session) -> None:
    state = session.config.stash.get(SESSION_KEY, None)
    if state is None:
        return
    if not state.controller:
        if hasattr(session.config, "workeroutput"):
            session.config.workeroutput[WORKER_OUTPUT] = state.worker_finish()
        return
    leaks = state.finish(session.config.stash.get(WORKER_LEAKS_KEY, []))
    session.config.stash[LEAKS_KEY] = leaks
    session.config.stash[STRANGERS_KEY] = audit.strangers(state.before, state.token) if state.before else []
    if leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config) -> None:
    leaks = config.stash.get(LEAKS_KEY, [])
    strangers = config.stash.get(STRANGERS_KEY, [])
    if leaks:
        terminalreporter.section("testbed: left behind by this run", sep="=", red=True, bold=True)
        for line in leaks:
            terminalreporter.line(f"  {line}", red=True)
        terminalreporter.line("  (clean up with `testbed down --all`; a failed teardown is a bug worth reporting)")
    if strangers:
        terminalreporter.section("testbed: objects not of this run appeared meanwhile", sep="-", yellow=True)
        for line in strangers:
            terminalreporter.line(f"  {line}")
