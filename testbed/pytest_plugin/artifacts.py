"""pytest_plugin.artifacts: where a test's lab files are kept (a folder named after the test) and when they go."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

OPTION = "--testbed-artifacts"
DEFAULT_FOLDER = "testbed-artifacts"
FAILED_KEY = pytest.StashKey[bool]()
FOLDER_KEY = pytest.StashKey[Path]()


def base(config) -> Path:
    chosen = config.getoption(OPTION)
    return Path(chosen).resolve() if chosen else config.rootpath / DEFAULT_FOLDER


def folder_for(item) -> Path:
    """tests/x/test_a.py::test_b[event] -> BASE/tests.x.test_a.py--test_b-event: unique per test, readable, flat."""
    name = item.nodeid.replace("/", ".").replace("::", "--")
    name = re.sub(r"[^A-Za-z0-9_.=+-]+", "-", name).strip("-")[:200]
    return base(item.config) / name


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def settle(item, report) -> None:
    """After each phase: remember a failure, add the folder to the failure report; after teardown of a passing
    test, remove the folder (the files were only kept in case it failed)."""
    folder = item.stash.get(FOLDER_KEY, None)
    if folder is None:
        return
    if report.failed:
        item.stash[FAILED_KEY] = True
        if folder.exists():
            report.sections.append(("testbed artefacts", f"lab files of this test kept in {folder}"))
    if report.when == "teardown" and not item.stash.get(FAILED_KEY, False):
        shutil.rmtree(folder, ignore_errors=True)
        _remove_if_empty(folder.parent)


def _remove_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass
