"""test_shm_ring: compiles the shmstream ring (tb_ring.h + tender/net/shm_ring.c) with a two-thread host harness and checks it."""
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
        pytest.fail("gcc is needed to build the ring harness")
    exe = tmp_path_factory.mktemp("shm_ring") / "shm_ring_harness"
    subprocess.run(
        ["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-pthread",
         f"-I{MONITOR / 'include'}", f"-I{MONITOR / 'tender' / 'net'}",
         str(Path(__file__).with_name("shm_ring_harness.c")), str(MONITOR / "tender" / "net" / "shm_ring.c"),
         "-o", str(exe)],
        check=True,
    )
    return exe


def run_flow(harness: Path, direction: str, frames: int, slots: int, start: int, spin: int) -> dict:
    # A lost wakeup hangs both threads: the timeout turns it into a failure.
    out = subprocess.run([str(harness), "flow", direction, str(frames), str(slots), hex(start), str(spin)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("direction", ["tx", "rx"])
def test_millions_of_frames_wrap_the_ring_and_the_counters(harness, direction):
    # 64 slots and 2M frames: the ring wraps ~31k times; starting 4096 below 2^32 wraps the u32 indices too.
    result = run_flow(harness, direction, 2_000_000, 64, 0xFFFFF000, 2000)
    assert result["frames"] == 2_000_000
    assert result["final_index"] == (0xFFFFF000 + 2_000_000) % 2**32


@pytest.mark.parametrize("direction", ["tx", "rx"])
def test_always_sleeping_sides_never_lose_a_wakeup(harness, direction):
    # spin 0: every empty/full ring goes straight to the flag handshake and an eventfd sleep.
    result = run_flow(harness, direction, 200_000, 4, 0xFFFFFFF0, 0)
    assert result["frames"] == 200_000
    assert result["guest_sleeps"] + result["monitor_sleeps"] > 0


@pytest.mark.parametrize(
    "case, reason",
    [
        ("tx-prod-jump", "producer index"),
        ("tx-prod-back", "producer index"),
        ("tx-len-zero", "frame length 0"),
        ("tx-len-huge", "frame length 2147483647"),
        ("tx-len-mtu", "frame length 1515"),
        ("tx-flag", "prod_wait flag is 57005"),
        ("rx-cons-jump", "consumer index"),
        ("rx-cons-back", "consumer index"),
        ("rx-flag", "cons_wait flag is 2"),
    ],
)
def test_corruption_is_detected_with_a_reason(harness, case, reason):
    out = subprocess.run([str(harness), "corrupt", case], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip()
    assert "ring corrupted by the guest" in line and reason in line
    assert "\n" not in line
