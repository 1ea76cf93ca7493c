"""hatch_build.py: builds the C monitor, guest images and host tools with make during `pip install`."""
import os
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class MonitorBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        root = Path(self.root)
        out = root / "testbed" / "_bin"
        jobs = str(os.cpu_count() or 2)
        subprocess.run(["make", "-C", str(root / "monitor"), f"-j{jobs}", f"OUT={out}"], check=True)
        # The built files are not tracked by git, so name them for the wheel explicitly.
        build_data["artifacts"].append("testbed/_bin/**")
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
