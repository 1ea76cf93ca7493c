"""pytest_plugin: the pytest plugin (entry point `testbed`): the testbed_lab fixture factory, IO-mode parametrising,
artefacts of failed tests and a run-level leak audit. Loaded automatically once testbed is installed."""
from testbed.pytest_plugin.modes import io_modes

__all__ = ["io_modes"]
