"""test_nic_control_layout: the control file's offsets in Python (apply/nic_control.py) are the C structs' (offsetof
in monitor/tender/net/nic_control.h, compiled here), and a spec's config reads as the monitor publishes it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from testbed.apply import nic_control as n

HEADER = Path(__file__).resolve().parents[2] / "monitor" / "tender" / "net" / "nic_control.h"
FIELDS = {  # C expression -> the Python constant that must equal it
    "sizeof(struct tb_ctl_header)": n.HEADER_BYTES, "sizeof(struct tb_ctl_nic)": n.NIC_BYTES,
    "sizeof(struct tb_ctl_dir)": n.DIR_BYTES, "offsetof(struct tb_ctl_header, nics)": 12,
    "sizeof(((struct tb_ctl_nic *)0)->name)": n.NAME_BYTES,
    "offsetof(struct tb_ctl_nic, generation)": n.GENERATION_AT, "offsetof(struct tb_ctl_nic, dir)": n.DIRS_AT,
    "offsetof(struct tb_ctl_dir, spec_seq)": n.SPEC_SEQ_AT, "offsetof(struct tb_ctl_dir, spec)": n.SPEC_AT,
    "TB_CTL_SPEC_MAX": n.SPEC_MAX, "offsetof(struct tb_ctl_dir, seen_seq)": n.SEEN_SEQ_AT,
    "offsetof(struct tb_ctl_dir, applied)": n.APPLIED_AT, "offsetof(struct tb_ctl_dir, rejected)": n.REJECTED_AT,
    "offsetof(struct tb_ctl_dir, why)": n.WHY_AT, "TB_CTL_WHY_MAX": n.WHY_MAX,
    "offsetof(struct tb_ctl_dir, pub_seq)": n.PUB_SEQ_AT, "offsetof(struct tb_ctl_dir, counters)": n.COUNTERS_AT,
    "offsetof(struct tb_ctl_dir, queued)": n.QUEUED_AT, "offsetof(struct tb_ctl_dir, config)": n.CONFIG_AT,
    "TB_CTL_COUNTERS": len(n.COUNTERS), "TB_CTL_CONFIG": len(n.CONFIG), "TB_CTL_MAGIC": n.MAGIC,
}


def test_the_python_offsets_are_the_c_structs(tmp_path):
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to read the C layout")
    source = tmp_path / "layout.c"
    prints = "".join(f'    printf("%llu\\n", (unsigned long long)({expr}));\n' for expr in FIELDS)
    source.write_text(f'#include <stddef.h>\n#include <stdio.h>\n#include "{HEADER}"\n'
                      f"int main(void)\n{{\n{prints}    return 0;\n}}\n")
    subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Werror", "-o", str(tmp_path / "layout"), str(source)], check=True)
    values = subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True, check=True).stdout.split()
    assert dict(zip(FIELDS, map(int, values), strict=True)) == FIELDS


def test_a_spec_reads_as_a_whole_configuration_from_a_plain_wire():
    config = n.config_of("seed=4,loss=50000,dist=normal,ge=1,down=1")
    assert config["seed"] == 4 and config["loss_ppm"] == 50_000 and config["dist"] == "normal"
    assert config["ge"] is True and config["down"] is True
    assert config["delay_ns"] == 0 and config["limit"] == n.DEFAULT_LIMIT  # what limit=0 means to the engine
    assert set(config) == set(n.CONFIG)
