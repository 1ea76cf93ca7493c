"""test_lab_block: a topology's `block:` devices reach the guest; a file the lab made goes with the lab, a file it
was given stays; a missing file without `create:` is refused before anything exists."""
from __future__ import annotations

from pathlib import Path

import pytest

from testbed import paths
from testbed.errors import TopologyError
from testbed.lab import Lab

HOST_FILL = 0x5A  # what block-io expects in a file it is given


def topology(tmp_path: Path, block: str, args: str = "[serve]") -> Path:
    path = tmp_path / "block.yaml"
    path.write_text(f"""name: blocklab
nodes:
  guest: {{kind: unikernel, image: {paths.test_image('block-io')}, args: {args}, block: {block}}}
""")
    return path


def test_lab_creates_the_file_and_removes_it(kvm, tmp_path, run_prefix):
    disk = tmp_path / "made.img"
    with Lab.up(topology(tmp_path, "{storage: {path: made.img, create: 16384, sector_size: 4096}}", "[serve, zeros]"),
                name_prefix=run_prefix) as lab:
        assert disk.stat().st_size == 16384
        assert disk.read_bytes() == b"".join(bytes([s % 251 + 1]) * 4096 for s in range(4))  # the guest wrote it
        console = lab.console("guest")
    assert "block-io: handle=1 capacity=16384 sector=4096" in console and "block-io: OK" in console
    assert not disk.exists()


def test_lab_uses_a_given_file_and_keeps_it(kvm, tmp_path, run_prefix):
    disk = tmp_path / "given.img"
    disk.write_bytes(bytes([HOST_FILL]) * 2048)
    with Lab.up(topology(tmp_path, "{storage: {path: given.img}}"), name_prefix=run_prefix) as lab:
        assert "block-io: OK" in lab.console("guest")
        stats_while_up = lab.stats("guest")
    assert stats_while_up is None  # written at exit
    final = lab.stats("guest")
    assert final["blocks"]["storage"]["writes"] == 4 and final["hypercalls"]["block_write"] == 4 + 7
    assert disk.read_bytes() == b"".join(bytes([s % 251 + 1]) * 512 for s in range(4))


def test_missing_file_without_create_is_refused(kvm, tmp_path, run_prefix):
    with pytest.raises(TopologyError, match=r"block\.storage: .*absent\.img does not exist \(give create: BYTES"):
        Lab.up(topology(tmp_path, "{storage: {path: absent.img}}"), name_prefix=run_prefix)


def test_bad_sector_size_is_refused(tmp_path):
    from testbed.lab import load_topology

    with pytest.raises(TopologyError, match="a power of two from 512 to 32768"):
        load_topology(topology(tmp_path, "{storage: {path: x.img, sector_size: 1000}}"))
