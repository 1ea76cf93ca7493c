"""test_bench_cli: every `ci/bench` subcommand parses its defaults and prints --help, and the capture bench builds
its monitor command lines from those defaults (an option read but never defined fails here, not mid-benchmark)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

CI = Path(__file__).resolve().parents[2] / "ci"
sys.path.insert(0, str(CI))

import bench_capture
import bench_cli
import bench_monitor


def subcommands() -> list[str]:
    sub = next(a for a in bench_cli.build_parser()._actions if a.dest == "bench")
    return sorted(sub.choices)


@pytest.mark.parametrize("bench", subcommands())
def test_subcommand_parses_its_defaults(bench):
    argv = [bench, "results/x.json"] if bench == "show" else [bench]
    args = bench_cli.build_parser().parse_args(argv)
    assert args.bench == bench


@pytest.mark.parametrize("bench", subcommands())
def test_subcommand_help_runs(bench):
    done = subprocess.run([sys.executable, str(CI / "bench"), bench, "--help"], check=False, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"ci/bench {bench}" in done.stdout


def test_capture_builds_both_command_lines_from_its_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr(bench_monitor, "image_path", lambda name: Path("/images") / name)
    args = bench_cli.build_parser().parse_args(["capture", "--cpus=none", "--monitor-flags=--shm-slots=4096"])
    lab = SimpleNamespace(tap="tap0", netns="ns0", guest_ip="10.0.0.2", prefix=24, guest_mac="02:00:00:00:00:02")
    labns = SimpleNamespace(lab=lab)
    plain = bench_capture.receiver_command(labns, "poll", args, tmp_path / "stats.json", None)
    captured = bench_capture.receiver_command(labns, "poll", args, tmp_path / "stats.json", tmp_path / "nic.pcapng")
    assert "--shm-slots=4096" in plain and "--io=poll" in plain
    flags = [f for f in captured if f not in plain]
    assert flags[0] == f"--capture:service0={tmp_path / 'nic.pcapng'}"
    assert captured.index(flags[0]) < captured.index("--")  # a monitor option, not a guest argument


def test_links_parts_pick_what_runs_and_refuse_an_unknown_one(capsys):
    parser = bench_cli.build_parser()
    assert parser.parse_args(["links"]).parts == ["throughput", "loss", "delay", "rate", "capture"]
    assert parser.parse_args(["links", "--parts", "capture,rate"]).parts == ["capture", "rate"]
    with pytest.raises(SystemExit):
        parser.parse_args(["links", "--parts", "capture,jitter"])
    assert "'jitter' is not a part" in capsys.readouterr().err
