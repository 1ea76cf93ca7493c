"""framework.fixtures: the fixtures every test takes from one place: privilege gates, a TAP namespace, a monitor,
a guest app, a UDP receiver, and for labs the run prefix, state roots, the CLI and topology files (labs themselves
come from the plugin's testbed_lab)."""
from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest

from framework import lab
from framework.monitor import MonitorProcess
from framework.netns import TapNamespace
from framework.udp import UdpReceiver
from testbed.pytest_plugin import audit
from testbed.pytest_plugin.gates import in_ci
from testbed.pytest_plugin.session import SESSION_KEY

RECV_PORT = 6000  # where the guest sources send to in the host's namespace
_counter = itertools.count()


def _missing(what: str) -> None:
    if in_ci():
        pytest.fail(f"{what} (CI=true: a missing capability is a failure, not a skip)")
    pytest.skip(what)


@pytest.fixture
def root():
    if os.geteuid() != 0:
        _missing("needs root")


@pytest.fixture
def kvm(root):
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        _missing("needs /dev/kvm")


def unique_suffix() -> str:
    """Short and unique across xdist workers and concurrent runs: pid plus a counter."""
    return f"{os.getpid() % 100000}{next(_counter)}"


@pytest.fixture
def tap_ns(root):
    """A throwaway network namespace holding a TAP (up, with host_ip) for a monitor to open."""
    from pyroute2 import NetNS, netns

    suffix = unique_suffix()
    name, tap = f"tbt-{suffix}", f"tbt{suffix}"
    netns.create(name)
    try:
        with NetNS(name) as ns:
            ns.link("add", ifname=tap, kind="tuntap", mode="tap")
            index = ns.link_lookup(ifname=tap)[0]
            ns.addr("add", index=index, address="10.77.0.1", prefixlen=24)
            ns.link("set", index=index, state="up")
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
        yield TapNamespace(netns=name, tap=tap, host_ip="10.77.0.1", guest_ip="10.77.0.2", prefix=24)
    finally:
        netns.remove(name)  # takes the TAP with it


@pytest.fixture
def monitor(tmp_path):
    """monitor(image, *guest_args, io=, tap_ns=, mac=, flags=, stats=False) -> a running MonitorProcess, stopped
    (SIGTERM, then SIGKILL) when the test ends; with stats=True it writes its stats JSON into tmp_path."""
    started: list[MonitorProcess] = []

    def start(image: str, *guest_args: str, stats: bool = False, **options) -> MonitorProcess:
        stats_path = tmp_path / f"stats-{image}-{len(started)}.json" if stats else None
        started.append(MonitorProcess(image, *guest_args, stats_path=stats_path, **options))
        return started[-1]

    yield start
    for process in started:
        process.kill()


@pytest.fixture
def guest_app(monitor, tap_ns):
    """guest_app(app, *args, io=..., **monitor options) -> a built-in app on tap_ns at its guest address, returned
    once it printed its "ready:" line (kept as .ready)."""
    def start(app: str, *args: str, **options) -> MonitorProcess:
        process = monitor(app, f"--ip={tap_ns.guest_ip}/{tap_ns.prefix}", *args, tap_ns=tap_ns, **options)
        process.ready = process.wait_line("ready:")
        return process
    return start


@pytest.fixture
def udp_receiver(tap_ns):
    """udp_receiver(bind=host_ip, port=RECV_PORT, idle=2, ...) -> a UdpReceiver in tap_ns, bound; killed at the
    end if it still runs."""
    started: list[UdpReceiver] = []

    def start(bind: str | None = None, port: int = RECV_PORT, **options) -> UdpReceiver:
        started.append(UdpReceiver(tap_ns.netns, bind or tap_ns.host_ip, port, **options))
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture(scope="session")
def run_prefix(testbed_name_prefix) -> str:
    """The plugin's WORKER-TOKEN prefix: runs named with it (or with PREFIX-TAG) are covered by its leak audit."""
    return testbed_name_prefix


@pytest.fixture(scope="session")
def session_state_root(run_prefix) -> Path:
    path = lab.TEST_STATE_BASE / run_prefix
    try:
        path.mkdir(parents=True, exist_ok=True)
    except PermissionError:  # not root: these tests skip (or fail under CI) anyway
        path = Path(tempfile.mkdtemp(prefix="testbed-state-"))
    yield path
    lab.remove_if_clean(path)


@pytest.fixture
def state_root(session_state_root, monkeypatch, request) -> Path:
    """The test's own state root (so `down --all` in one test never touches another test's runs), recorded in the
    plugin's ledger so that its audit looks there for runs left behind."""
    path = session_state_root / request.node.name[:60].replace("/", "_").replace("[", "_").replace("]", "_")
    path.mkdir(exist_ok=True)
    session = request.config.stash[SESSION_KEY]
    audit.append_ledger(session.ledger, session.worker, path)
    monkeypatch.setenv("TESTBED_STATE_DIR", str(path))
    return path


@pytest.fixture
def testbed_cli(state_root):
    """testbed_cli(*args, timeout=120, check=False): `testbed ARGS` run to its end with this test's state root."""
    return lab.run_cli


@pytest.fixture
def topology_file(tmp_path):
    """topology_file(name, yaml_text) -> Path of the written file."""
    return lambda name, text: lab.write_topology(tmp_path, name, text)


@pytest.fixture
def chain_file(tmp_path):
    """chain_file(count) -> Path of a count-node netns chain."""
    return lambda count: lab.chain_topology(tmp_path, count)


@pytest.fixture
def namespaces_of():
    """namespaces_of(run_id_or_prefix) -> this run's namespaces that exist now."""
    return lab.run_namespaces
