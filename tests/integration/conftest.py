"""integration conftest: every integration test runs with its own state root (TESTBED_STATE_DIR), which the
plugin's leak audit searches for runs left behind; the fixtures themselves are in tests/framework."""
import pytest


@pytest.fixture(autouse=True)
def _own_state_root(state_root):
    return state_root
