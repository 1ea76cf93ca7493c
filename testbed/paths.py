"""paths: locates the built monitor, guest images and host tools inside the installed package."""
from __future__ import annotations

import os
from pathlib import Path

IMAGE_SUFFIX = ".hvt"
# Another build of the monitor to run instead of the package's (a sanitizer build, in CI): labs, `testbed monitor`
# and the tests all take it from here.
MONITOR_ENV = "TESTBED_MONITOR"


class MissingBuildError(RuntimeError):
    """The package was installed without its compiled parts."""


def bin_dir() -> Path:
    # Next to this file, as pip installs it (editable or not); importlib.resources would cost ~10 ms of every
    # command's start-up, and the monitor must be a real file on disk anyway.
    path = Path(__file__).resolve().parent / "_bin"
    if not path.is_dir():
        raise MissingBuildError(f"{path}: compiled parts missing; reinstall with `pip install -e .`")
    return path


def monitor_path() -> Path:
    override = os.environ.get(MONITOR_ENV)
    if override:
        if not Path(override).is_file():
            raise MissingBuildError(f"{override}: no such monitor (named by {MONITOR_ENV})")
        return Path(override)
    return _existing(bin_dir() / "tb-monitor")


def tool_path(name: str) -> Path:
    return _existing(bin_dir() / "tools" / name)


def images() -> dict[str, Path]:
    """Built-in guest images by name (file name without the suffix)."""
    folder = bin_dir() / "images"
    return {p.name[: -len(IMAGE_SUFFIX)]: p for p in sorted(folder.glob(f"*{IMAGE_SUFFIX}"))}


def test_image(name: str) -> Path:
    return _existing(bin_dir() / "test-images" / f"{name}{IMAGE_SUFFIX}")


def resolve_image(image: str) -> Path | None:
    """A built-in image name or a path to an ELF file; None when neither exists."""
    builtin = images().get(image)
    if builtin is not None:
        return builtin
    path = Path(image)
    return path if path.is_file() else None


def _existing(path: Path) -> Path:
    if not path.exists():
        raise MissingBuildError(f"{path}: not built; reinstall with `pip install -e .`")
    return path
