"""pytest_plugin.fixtures: testbed_lab, a factory of labs that are always torn down, with their files kept for a
failed test; testbed_name_prefix, the WORKER-TOKEN prefix every lab of this pytest run carries."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testbed.down import state
from testbed.pytest_plugin import artifacts, audit, gates
from testbed.pytest_plugin.recording import RecordingLab
from testbed.pytest_plugin.session import SESSION_KEY


@pytest.fixture(scope="session")
def testbed_name_prefix(pytestconfig) -> str:
    """For labs a test brings up itself (Lab.up(..., name_prefix=...)): the run-level audit then covers them too."""
    return pytestconfig.stash[SESSION_KEY].prefix


@pytest.fixture
def testbed_lab(request, testbed_name_prefix):
    """testbed_lab(topology, set={"nodes.guest.io": "event"}) -> context manager yielding a running Lab.

    topology: a path relative to the test file's directory, else to the rootdir (or absolute).
    set: dotted-path overrides, as `testbed run --set`. Other keyword arguments go to Lab.up (ready_timeout).
    """
    session = request.config.stash[SESSION_KEY]
    folder = artifacts.folder_for(request.node)
    shutil.rmtree(folder, ignore_errors=True)  # a previous run's files of this test would mislead
    request.node.stash[artifacts.FOLDER_KEY] = folder
    opened: list[RecordingLab] = []

    @contextmanager
    def factory(topology: str | os.PathLike, set: dict | None = None, **up_options) -> Iterator[RecordingLab]:
        path = _resolve(request, topology)
        gates.require(path, set)
        audit.append_ledger(session.ledger, session.worker, state.root())  # before up: a killed up is found too
        try:
            lab = RecordingLab.up(path, overrides=set, name_prefix=testbed_name_prefix, **up_options)
        except Exception as exc:  # up rolled back already; keep why (its message holds the console tail)
            artifacts.write_text(folder / f"up-failed-{len(opened)}.txt", f"{path}\n{type(exc).__name__}: {exc}\n")
            raise
        opened.append(lab)
        try:
            yield lab
        except BaseException:  # failure, Ctrl-C: tear down, keep the files, let the exception go on
            _down(lab, folder)
            raise
        problems = _down(lab, folder)
        assert not problems, f"lab {lab.run_id}: teardown left " + "; ".join(problems)

    yield factory
    for lab in opened:  # a lab whose with-block never ended (e.g. an abandoned generator); down() twice is a no-op
        _down(lab, folder)


def _down(lab: RecordingLab, folder: Path) -> list[str]:
    kept = folder / lab.run_id
    artifacts.write_json(kept / "results.json", lab.results)
    return lab.down(keep=kept)


def _resolve(request, topology: str | os.PathLike) -> Path:
    path = Path(topology)
    if path.is_absolute():
        return path
    for base in (Path(request.node.path).parent, request.config.rootpath):
        if (base / path).is_file():
            return base / path
    raise FileNotFoundError(f"topology {topology}: not found beside {request.node.path} "
                            f"nor under the rootdir {request.config.rootpath}")
