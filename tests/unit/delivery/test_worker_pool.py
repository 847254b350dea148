"""bot.delivery.workers.WorkerPool: a wake() is one thread's call to look for work at once."""

from __future__ import annotations

import threading
import time

from bot.delivery.workers import WorkerPool

LONG_POLL = 60.0  # never reached in these tests: only wake() makes a thread look again


class Counting:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, worker_id: str) -> bool:
        with self.lock:
            self.calls += 1
        return False  # nothing to do

    def wait_for(self, calls: int, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.calls < calls:
            time.sleep(0.005)
        time.sleep(0.2)  # long enough for any further (unwanted) call to show
        return self.calls


def test_one_wake_makes_one_of_eight_idle_threads_look():
    work = Counting()
    pool = WorkerPool("dispatch", work, threads=8, idle_poll=LONG_POLL)
    pool.start()
    try:
        assert work.wait_for(8) == 8  # each thread looks once as it starts
        pool.wake()
        assert work.wait_for(9) == 9
        for _ in range(3):
            pool.wake()
        assert work.wait_for(12) == 12
    finally:
        pool.stop()


def test_a_wake_while_every_thread_is_busy_is_taken_up_when_one_is_done():
    busy, release = threading.Event(), threading.Event()
    calls: list[float] = []

    def work(worker_id: str) -> bool:
        calls.append(time.monotonic())
        if len(calls) == 2:  # the first wake's look: still at it when the next sale is stored
            busy.set()
            release.wait(5)
        return False

    pool = WorkerPool("dispatch", work, threads=1, idle_poll=LONG_POLL)
    pool.start()
    try:
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.005)
        pool.wake()
        assert busy.wait(5)
        pool.wake()  # no thread is idle to take it now
        release.set()
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(calls) == 3  # looked again at once, not a minute later
    finally:
        pool.stop()


def test_stop_ends_idle_threads_at_once():
    pool = WorkerPool("dispatch", Counting(), threads=4, idle_poll=LONG_POLL)
    pool.start()
    time.sleep(0.1)
    started = time.monotonic()
    pool.stop(timeout=5)
    assert time.monotonic() - started < 2
    assert not pool.running
