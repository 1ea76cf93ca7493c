"""The collector is paused while a topology is built and kept off it while links are made, and always restored."""
from __future__ import annotations

import gc

import pytest

from testbed.lab import collector


@pytest.fixture(autouse=True)
def restore_collector():
    was_enabled = gc.isenabled()
    yield
    gc.enable() if was_enabled else gc.disable()
    gc.unfreeze()


def test_paused_then_enabled_again_even_on_error():
    gc.enable()
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        raise RuntimeError("the load failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()


def test_nested_pauses_enable_it_once_the_outer_ends():
    gc.enable()
    with collector.paused():
        with collector.paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_frozen_leaves_existing_objects_out_and_puts_them_back():
    kept = [[] for _ in range(1000)]
    with pytest.raises(RuntimeError), collector.frozen():
        assert gc.get_freeze_count() >= len(kept)
        raise RuntimeError("a link failed")
    assert gc.get_freeze_count() == 0
    cycle: list = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1  # collections work as before afterwards
