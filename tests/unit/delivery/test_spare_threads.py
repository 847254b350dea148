"""The threads that run ack-path database calls (bot/delivery/outbox.py _SpareThreads)."""

from __future__ import annotations

import threading
import time

from bot.delivery.outbox import _SpareThreads


def _alive(name: str) -> int:
    return sum(1 for t in threading.enumerate() if t.name == name)


def test_calls_one_after_another_reuse_one_thread():
    threads = _SpareThreads("spare-reuse", idle_seconds=5)
    seen = set()
    for _ in range(200):
        done = threading.Event()
        threads.run(lambda done=done: (seen.add(threading.get_ident()), done.set()))
        assert done.wait(2)
        while not threads._idle:  # the thread is back among the idle ones
            time.sleep(0.0005)
    assert len(seen) == 1
    assert _alive("spare-reuse") == 1


def test_a_stuck_call_never_makes_the_next_one_wait():
    threads = _SpareThreads("spare-stuck", idle_seconds=5)
    release = threading.Event()
    threads.run(release.wait)  # stuck, as on a connection to a database that went silent
    done = threading.Event()
    started = time.monotonic()
    threads.run(done.set)
    assert done.wait(2) and time.monotonic() - started < 0.5
    assert _alive("spare-stuck") == 2
    release.set()


def test_idle_threads_end_and_a_burst_leaves_none_behind():
    threads = _SpareThreads("spare-idle", idle_seconds=0.2)
    gate = threading.Event()
    finished = []
    for _ in range(20):  # 20 at once: 20 threads
        threads.run(lambda: (gate.wait(), finished.append(1)))
    assert _alive("spare-idle") == 20
    gate.set()
    deadline = time.monotonic() + 5
    while _alive("spare-idle") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(finished) == 20 and _alive("spare-idle") == 0
    done = threading.Event()  # and it still runs work afterwards
    threads.run(done.set)
    assert done.wait(2)


def test_no_job_is_lost_when_jobs_arrive_as_idle_threads_time_out():
    threads = _SpareThreads("spare-race", idle_seconds=0.001)
    ran = []
    lock = threading.Lock()

    def job():
        with lock:
            ran.append(1)

    for _ in range(2000):
        threads.run(job)
        if _ % 50 == 0:
            time.sleep(0.002)  # let some threads reach their idle timeout meanwhile
    deadline = time.monotonic() + 5
    while len(ran) < 2000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(ran) == 2000
