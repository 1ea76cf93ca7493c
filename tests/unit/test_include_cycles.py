"""ci/include-cycles: the monitor's C modules (tender, guest, tools) include each other without a cycle, and the checker sees one when there is."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "ci" / "include-cycles"


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECKER), str(root)], capture_output=True, text=True, timeout=60)


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """A monitor-shaped folder holding `files` (path -> text)."""
    for folder in ("tender/core", "guest/include", "guest/lib", "guest/runtime", "tools", "include"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


def test_the_monitor_has_no_include_cycle():
    result = run(ROOT / "monitor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no cycle" in result.stdout


def test_a_cycle_between_two_tender_folders_is_found(tmp_path):
    root = tree(tmp_path, {
        "tender/core/stop.c": '#include "stop.h"\n#include "stats.h"\n',
        "tender/core/stop.h": "",
        "tender/stats/stats.c": '#include "stats.h"\n#include "hypercall.h"\n',
        "tender/stats/stats.h": "",
        "tender/abi/hypercall.c": '#include "hypercall.h"\n#include "stop.h"\n',
        "tender/abi/hypercall.h": "",
    })
    result = run(root)
    assert result.returncode == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith("cycle in tender:")
    for name in ("tender/core/stop", "tender/stats/stats", "tender/abi/hypercall"):
        assert name in line
    assert 'tender/stats/stats.c: #include "hypercall.h"' in line


def test_a_guest_library_cycle_through_the_public_headers_is_found(tmp_path):
    # guest/lib/X.c implements guest/include/tb_X.h: the arp cache needing the NIC and the NIC the cache is a cycle.
    root = tree(tmp_path, {
        "guest/include/tb_nic.h": '#include "tb_arp_cache.h"\n',
        "guest/include/tb_arp_cache.h": "",
        "guest/lib/nic.c": '#include "tb_nic.h"\n',
        "guest/lib/arp_cache.c": '#include "tb_arp_cache.h"\n#include "tb_nic.h"\n',
    })
    result = run(root)
    assert result.returncode == 1
    assert "cycle in guest: guest/lib/arp_cache -> guest/lib/nic -> guest/lib/arp_cache" in result.stdout


def test_a_header_chain_without_a_cycle_passes(tmp_path):
    root = tree(tmp_path, {
        "tender/core/vm.h": "",
        "tender/core/main.c": '#include "vm.h"\n#include "net.h"\n',
        "tender/core/net.h": '#include "vm.h"\n',
        "tender/core/net.c": '#include "net.h"\n#include "vm.h"\n',
    })
    result = run(root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_include_it_cannot_resolve_is_an_error(tmp_path):
    root = tree(tmp_path, {"tender/core/main.c": '#include "missing.h"\n'})
    result = run(root)
    assert result.returncode != 0
    assert '"missing.h" found in no include folder' in result.stderr
