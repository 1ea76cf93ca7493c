"""IO modes: the schema's one list and the monitor's mode table (its --help) name the same modes."""
from __future__ import annotations

from testbed.pytest_plugin.modes import io_modes
from testbed.topology.schema import IO_MODES


def test_the_schema_and_the_monitor_know_the_same_io_modes():
    assert sorted(io_modes()) == sorted(IO_MODES)
