"""`testbed validate`: ok line and exit 0, or every problem on stderr and exit 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testbed.cli import main

REPO = Path(__file__).resolve().parents[2]
GOOD = "name: lab\nnodes:\n  a: {kind: netns}\n  b: {kind: netns}\nlinks:\n  - endpoints: [a:eth0, b:eth0]\n"
BAD = ("name: lab\nnodes:\n  a: {kind: netns}\n"
       "links:\n  - endpoints: [a:eth0, b:eth0]\n  - endpoints: [a:eth0, c:eth0]\n")


@pytest.fixture
def write(tmp_path):
    def write(text: str) -> Path:
        path = tmp_path / "lab.yaml"
        path.write_text(text)
        return path
    return write


def test_a_valid_file_says_ok_with_its_size(write, capsys):
    path = write(GOOD)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: ok (2 nodes, 1 link)\n" and err == ""


def test_an_invalid_file_lists_every_problem_on_stderr_and_exits_2(write, capsys):
    path = write(BAD)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert [line.split(": ")[0:2] for line in err.splitlines()] == [
        [f"{path}:5:25", "links.0.endpoints.1"], [f"{path}:6:17", "links.1.endpoints.0"],
        [f"{path}:6:25", "links.1.endpoints.1"]]


def test_set_overrides_a_field(write, capsys):
    path = write(GOOD)
    assert main(["validate", str(path), "--set", "links.0.subnet=10.0.0.0/32"]) == 2
    assert capsys.readouterr().err == ("<override links.0.subnet>: links.0.subnet: 10.0.0.0/32 has 1 host address, "
                                       "too few for the 2 endpoints on links.0\n")


def test_a_malformed_set_exits_2(write, capsys):
    assert main(["validate", str(write(GOOD)), "--set", "links.0.subnet"]) == 2
    assert "write PATH=VALUE" in capsys.readouterr().err


def test_a_yaml_syntax_error_exits_2(write, capsys):
    path = write("name: lab\nnodes: {a: {kind: netns}\n")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"{path}:3:1: YAML: ")


def test_validate_as_a_process(write):
    """The real entry point: exit status and streams as a shell sees them."""
    path = write(BAD)
    result = subprocess.run([sys.executable, "-m", "testbed.cli", "validate", str(path)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == "" and len(result.stderr.splitlines()) == 3
