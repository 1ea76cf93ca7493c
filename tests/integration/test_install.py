"""Install: a venv made from pyproject.toml alone imports every module of the package and runs pingpair."""
from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import testbed

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"  # what ci/install.sh builds the project venv from, as on a fresh machine


def _modules() -> list[str]:
    """Every module of the package but the `python -m` entry points, which would run a command."""
    return sorted(info.name for info in pkgutil.walk_packages(testbed.__path__, "testbed.")
                  if not info.name.endswith(".__main__"))


def _bare_venv(tmp_path: Path) -> Path:
    """A venv with nothing but what `pip install -e .` brings: no system or pyenv site-packages."""
    venv = tmp_path / "venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    # This interpreter's pip installs into the new one (--python), so the venv needs no pip of its own.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install", "-q",
                    "--disable-pip-version-check", "-e", f"{REPO}[test]"], check=True, timeout=600)
    return venv


def test_a_venv_from_pyproject_alone_imports_everything_and_runs_pingpair(tmp_path, kvm):
    venv = _bare_venv(tmp_path)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    imports = subprocess.run([str(venv / "bin/python"), "-c", "import importlib, sys\n"
                              "for name in sys.argv[1:]: importlib.import_module(name)", *_modules()],
                             cwd=tmp_path, env=env, capture_output=True, text=True)
    assert imports.returncode == 0, imports.stderr
    run = subprocess.run([str(venv / "bin/testbed"), "run", str(REPO / "topologies/pingpair.yaml"),
                          "--prefix", f"venv{os.getpid() % 10000}"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pass" in run.stdout
