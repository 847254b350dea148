"""bot/garbage.py: after a busy second, the cycles waiting in the oldest generation are freed."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from bot.garbage import BurstCollector


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def oldest_generation_never_collected_by_itself():
    """Python collects the oldest generation only once it has grown by a quarter; make that
    never happen here, so only an explicit collection can free what waits there."""
    before = gc.get_threshold()
    gc.collect()
    gc.set_threshold(before[0], before[1], 10**9)
    yield
    gc.set_threshold(*before)


def garbage_in_the_oldest_generation() -> weakref.ref:
    node = Node()
    gc.collect(1)  # alive through a young collection: promoted to the oldest generation
    ref = weakref.ref(node)
    del node
    return ref


def busy(seconds: float) -> None:
    """Allocate container objects as requests do, for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        [{"n": i} for i in range(2000)]


def test_a_busy_period_is_followed_by_a_full_collection(oldest_generation_never_collected_by_itself):
    collector = BurstCollector(period=0.05)
    collector.start()
    try:
        ref = garbage_in_the_oldest_generation()
        busy(0.3)
        # The weak reference dies inside gc.collect(), before the collector's thread counts the
        # collection when it returns: wait for both, or the count can be read in between.
        deadline = time.monotonic() + 2
        while (ref() is not None or collector.full_collections == 0) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ref() is None
        assert collector.full_collections >= 1
    finally:
        collector.stop()


def test_an_idle_process_is_left_alone(oldest_generation_never_collected_by_itself):
    collector = BurstCollector(period=0.05)
    collector.start()
    try:
        ref = garbage_in_the_oldest_generation()
        time.sleep(0.3)
        assert ref() is not None
        assert collector.full_collections == 0
    finally:
        collector.stop()


def test_without_the_collector_the_garbage_waits(oldest_generation_never_collected_by_itself):
    ref = garbage_in_the_oldest_generation()
    busy(0.3)
    assert ref() is not None  # what the collector is for


def test_stop_removes_its_hook():
    collector = BurstCollector(period=0.05)
    collector.start()
    collector.stop()
    assert collector._count not in gc.callbacks
