"""topology.rules.images: every unikernel's image is a built-in image or an existing ELF file."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from testbed import paths
from testbed.topology.rules.findings import Finding
from testbed.topology.schema import Topology

ELF_MAGIC = b"\x7fELF"


def check_images(topology: Topology) -> Iterator[Finding]:
    for name, node in topology.nodes.items():
        if node.kind == "unikernel":
            problem = image_problem(node.image)
            if problem:
                yield Finding(("nodes", name, "image"), problem)


def image_problem(image: str) -> str | None:
    resolved = resolve(image)
    if resolved is None:
        if "/" in image and Path(image).exists():  # a FIFO, a device, a directory: never opened
            return f"image file {image} is not a regular file: an image is a guest ELF built for the monitor"
        if "/" in image:
            return f"image file {image} does not exist (built-in images: `testbed images`)"
        return (f"no built-in image {image!r}: `testbed images` lists the built-in ones, "
                "or give the path of an ELF file (e.g. ./app.hvt)")
    with open(resolved, "rb") as file:
        if file.read(len(ELF_MAGIC)) != ELF_MAGIC:
            return f"{resolved} is not an ELF file: an image is a guest ELF built for the monitor"
    return None


def resolve(image: str) -> Path | None:
    try:
        return paths.resolve_image(image)
    except paths.MissingBuildError:
        # Nothing built yet: no built-in images, but a file path may still be right.
        path = Path(image)
        return path if path.is_file() else None
