"""test_gso_split: compiles the monitor's GSO splitter (tender/io/gso.c) with a host harness that builds TCP and UDP GSO frames
(IPv4, IPv6, odd sizes, frames cut across two buffers, rings with little room) and checks every segment independently."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MONITOR = ROOT / "monitor"


@pytest.mark.parametrize("sanitize", [[], ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]],
                         ids=["plain", "asan-ubsan"])
def test_every_segment_of_every_gso_frame_is_right(tmp_path, sanitize):
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the GSO harness")
    exe = tmp_path / "gso_harness"
    subprocess.run(["gcc", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", *sanitize,
                    f"-I{MONITOR / 'include'}", f"-I{MONITOR / 'tender' / 'io'}",
                    str(Path(__file__).with_name("gso_harness.c")), str(MONITOR / "tender" / "io" / "gso.c"),
                    "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result == {"cases": 112, "failures": 0}, (result, out.stderr)
