"""test_block_plan: a unikernel's `block:` becomes --block/--block-sector-size; `ready:` replaces the ready line."""
from __future__ import annotations

from pathlib import Path

from testbed.apply import readiness
from testbed.plan import planner
from testbed.topology.load import load_topology


def plan_of(tmp_path: Path, block: str, extra: str = ""):
    path = tmp_path / "t.yaml"
    path.write_text(f"name: t\nnodes:\n  g: {{kind: unikernel, image: hello, block: {block}{extra}}}\n")
    return planner.make_plan(load_topology(path), "golden", source=str(path))


def test_block_devices_become_monitor_options(tmp_path):
    (tmp_path / "disk.img").write_bytes(bytes(4096))
    monitor, = plan_of(tmp_path, "{storage: {path: disk.img, sector_size: 4096}, scratch: {path: s.img, "
                                 "create: 8192}}").monitors
    argv = monitor.argv("tb-monitor", "/stats.json")
    assert f"--block:storage={tmp_path / 'disk.img'}" in argv and "--block-sector-size:storage=4096" in argv
    assert f"--block:scratch={tmp_path / 's.img'}" in argv and "--block-sector-size:scratch=512" in argv
    assert argv.index("--") > argv.index("--block-sector-size:scratch=512")
    blocks = {b.name: b for b in monitor.blocks}
    assert blocks["storage"].create is None and blocks["scratch"].create == 8192


def test_an_existing_file_is_never_created_over(tmp_path):
    (tmp_path / "disk.img").write_bytes(bytes(512))
    monitor, = plan_of(tmp_path, "{storage: {path: disk.img, create: 4096}}").monitors
    assert monitor.blocks[0].create is None  # the lab neither truncates nor removes it


def test_ready_marker(tmp_path):
    console = tmp_path / "console.log"
    console.write_bytes(b"Solo5: banner\n[service0] Serving ping on 10.0.0.2\n")
    assert not readiness.is_ready(console)
    assert readiness.is_ready(console, "Serving ping")
    monitor, = plan_of(tmp_path, "{}", ", ready: Serving ping").monitors
    assert monitor.ready == "Serving ping"


def test_auto_args_off_passes_only_the_nodes_args(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nnodes:\n  h: {kind: netns}\n  g: {kind: unikernel, image: ping-serve, auto_args: false,"
                    " args: [limit]}\nlinks:\n  - {endpoints: [h:eth0, g:service0], subnet: 10.0.0.0/30}\n")
    monitor, = planner.make_plan(load_topology(path), "golden", source=str(path)).monitors
    assert monitor.guest_args == ("limit",)
