"""Hostile topology files: each is one FILE[:LINE:COL]: message line, exit 2, bounded memory, nothing created."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD_START = "name: lab\nnodes:\n  host: {kind: netns}\n"
MAX_RSS_BYTES = 200 << 20
# Runs argv[1:], prints its exit code and peak RSS (KiB).
PEAK_RSS_OF = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, "
               "stderr=subprocess.DEVNULL); _, status, usage = os.wait4(p.pid, 0); "
               "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)")
HANG_GUARD_SECONDS = 20  # a hang (a FIFO read, an endless file) fails here; speed itself is ci/bench's business


def _alias_bomb() -> str:
    """Nine levels of nine aliases each: 529 bytes that a naive loader expands into 9^9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh"):
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, case: str) -> Path:
    path = tmp_path / f"{case}.yaml"
    makers = {
        "nul-bytes": lambda: path.write_bytes(GOOD_START.encode() + b"  a\0b: {kind: netns}\n"),
        "invalid-utf8": lambda: path.write_bytes(GOOD_START.encode() + b"  caf\xe9: {kind: netns}\n"),
        "utf16": lambda: path.write_bytes(GOOD_START.encode("utf-16")),
        "50MB": lambda: (path.write_bytes(b""), os.truncate(path, 50 << 20)),
        "nesting-10000": lambda: path.write_text("name: " + "[" * 10000 + "]" * 10000 + "\n"),
        "alias-bomb": lambda: path.write_text(_alias_bomb()),
        "self-alias": lambda: path.write_text("name: &n [*n]\n"),
        "tabs": lambda: path.write_text("name: lab\nnodes:\n\thost: {kind: netns}\n"),
        "control-character": lambda: path.write_text(GOOD_START + "  x\x01: {kind: netns}\n"),
        "fifo": lambda: os.mkfifo(path),
        "directory": lambda: path.mkdir(),
    }
    makers[case]()
    return path


EXPECTED = {
    "nul-bytes": (r":4:4", "NUL byte"),
    "invalid-utf8": (r":4:6", "not UTF-8"),
    "utf16": (r"", "UTF-16"),
    "50MB": (r"", "larger than"),
    "nesting-10000": (r":1:\d+", "nested deeper than"),
    "alias-bomb": (r":1:1", "aliases expand to more than"),
    "self-alias": (r":1:\d+", "refers to a collection that contains it"),
    "tabs": (r":3:1", "indent with spaces, not tabs"),
    "control-character": (r":4:4", "#x0001 is not allowed"),
    "fifo": (r"", "not a regular file"),
    "directory": (r"", "is a directory"),
}


def _run_cli(args: list[str], state_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TESTBED_STATE_DIR": str(state_dir)}
    return subprocess.run([sys.executable, "-m", "testbed.cli", *args], cwd=REPO, env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=HANG_GUARD_SECONDS)


@pytest.mark.parametrize("verb", ["validate", "run"])
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_hostile_file_is_one_located_error(tmp_path, case, verb):
    path = _write(tmp_path, case)
    state = tmp_path / "state"
    done = _run_cli([verb, str(path)], state)
    err = done.stderr
    where, says = EXPECTED[case]
    assert done.returncode == 2, err
    assert len(err.splitlines()) == 1, err
    assert re.match(re.escape(str(path)) + where + ": ", err), err
    assert says in err
    assert not state.exists() or not any(state.iterdir()), "a bad topology created run state"


@pytest.mark.parametrize("case", ["alias-bomb", "nesting-10000", "50MB"])
def test_a_hostile_file_costs_little_memory(tmp_path, case):
    path = _write(tmp_path, case)
    env = {**os.environ, "TESTBED_STATE_DIR": str(tmp_path / "state")}
    # Measured from a small Python in between: a child this test spawns itself is vfork()ed, and at its exec the
    # kernel records the peak RSS of the memory it still shares, this pytest worker's (once 243 MiB after other
    # tests), as the child's own. The grandchild starts from the small interpreter's memory instead.
    done = subprocess.run([sys.executable, "-c", PEAK_RSS_OF, sys.executable, "-m", "testbed.cli", "validate",
                           str(path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True)
    exit_code, max_rss_kib = map(int, done.stdout.split())
    assert exit_code == 2
    assert max_rss_kib * 1024 < MAX_RSS_BYTES, f"peak RSS {max_rss_kib // 1024} MiB"
