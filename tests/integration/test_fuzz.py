"""test_fuzz: ci/fuzz runs each of the monitor's fuzz targets (ELF loader; guest addresses and rings) for a bounded
time from its committed corpus; a crash, a sanitizer report or a broken harness invariant fails it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from testbed.pytest_plugin.gates import in_ci

# Saturates a core for minutes: ci/test.sh runs it after the timing-sensitive tests, not beside them.
pytestmark = pytest.mark.cpu_hog

REPO = Path(__file__).resolve().parents[2]
SECONDS = 30  # per target: enough to replay the corpus and mutate it for a while; `ci/fuzz N` runs longer
TARGETS = ("elf", "guest")


def test_fuzz_targets_find_nothing(tmp_path):
    if shutil.which("clang-14") is None and os.geteuid() != 0:
        if in_ci():
            pytest.fail("ci/fuzz needs clang-14 (or root, to install it) (CI=true: a failure, not a skip)")
        pytest.skip("ci/fuzz needs clang-14, or root to install it")
    done = subprocess.run([str(REPO / "ci" / "fuzz"), str(SECONDS)], capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "FUZZ_ARTIFACTS": str(tmp_path / "artifacts")})
    assert done.returncode == 0, done.stdout + done.stderr
    for target in TARGETS:
        found = re.search(rf"^fuzz-{target}: (\d+) executions in .* no crash$", done.stdout, re.MULTILINE)
        assert found and int(found.group(1)) > 1000, done.stdout
