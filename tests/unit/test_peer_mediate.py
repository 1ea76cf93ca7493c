"""test_peer_mediate: compiles a mediated shm link's IO-thread side (tender/net/peer_mediate.c with shm_ring.c) into a
host harness under ASan+UBSan: two sides move frames exactly through one ring pair, and a peer scribbling over every
shared word is refused, counted and never read past."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MONITOR = ROOT / "monitor"


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the harness")
    exe = tmp_path_factory.mktemp("peer_mediate") / "peer_mediate_harness"
    quote = [arg for folder in sorted((MONITOR / "tender").iterdir()) if folder.is_dir()
             for arg in ("-iquote", str(folder))]
    subprocess.run(["gcc", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-D_GNU_SOURCE",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", f"-I{MONITOR / 'include'}", *quote,
                    "-iquote", str(MONITOR / "impair"), "-iquote", str(MONITOR / "lib"),
                    str(Path(__file__).with_name("peer_mediate_harness.c")),
                    str(MONITOR / "tender" / "net" / "peer_mediate.c"), str(MONITOR / "tender" / "net" / "shm_ring.c"),
                    "-o", str(exe)], check=True)
    return exe


def run(harness: Path, *args: str) -> dict:
    done = subprocess.run([str(harness), *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("slots", [2, 8, 512])
def test_frames_cross_a_mediated_link_exactly_and_in_order(harness, slots):
    result = run(harness, "flow", "200000", str(slots))
    assert result["frames"] == 200_000 and result["corrupt"] == 0
    assert result["link_full"] > 0  # the writer met a full ring and waited instead of overwriting


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_scribbling_peer_is_refused_and_counted_never_read_past(harness, seed):
    result = run(harness, "hostile", "100000", str(seed))
    assert result["corrupt"] > 0 and result["written"] > 0
