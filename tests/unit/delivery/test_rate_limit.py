"""The shared window counts each call from the time LeadSquared answered it (a fake clock)."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import event, select

from bot.delivery.outbox import Outbox
from bot.delivery.rate_limit import SharedRateLimiter
from bot.delivery.schema import rate_limit_windows


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def limiter_on(database_url, clock: FakeClock, *, calls: int = 25, margin: float = 0.0) -> SharedRateLimiter:
    engine = Outbox.from_url(database_url).engine
    return SharedRateLimiter(engine, calls, 5.0, margin=margin, clock=clock.time, sleep=clock.sleep)


def test_a_window_counts_from_the_answers_not_the_sends(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock)
    slots = [limiter.acquire() for _ in range(25)]
    clock.now += 0.8  # LeadSquared took 0.8 s to answer them all
    for slot in slots:
        slot.answered()
    clock.now += 4.5  # 5.3 s after sending, 4.5 s after the answers: LeadSquared may still count them
    assert limiter.try_acquire() == 0.5
    clock.now += 0.5
    assert limiter.try_acquire() == 0


def test_an_unanswered_slot_counts_from_when_it_was_sent(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=2)
    limiter.acquire()
    clock.now += 1.0
    limiter.acquire()
    assert limiter.try_acquire() == 4.0  # the first frees up 5 s after it was taken


def test_restamping_keeps_the_oldest_slot_first(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=2)
    slow = limiter.acquire()
    clock.now += 1.0
    fast = limiter.acquire()
    fast.answered()  # at +1.0
    clock.now += 2.0
    slow.answered()  # at +3.0: now the newer of the two
    assert limiter.try_acquire() == 3.0  # the fast call frees up first, 5 s after its answer


def test_another_process_sees_the_restamped_window(database_url):
    clock = FakeClock()
    ours, theirs = limiter_on(database_url, clock, calls=1), limiter_on(database_url, clock, calls=1)
    slot = ours.acquire()
    clock.now += 2.0
    slot.answered()
    assert theirs.try_acquire() == 5.0


def test_a_slot_saturate_replaced_is_not_restamped_back(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=3)
    slot = limiter.acquire()
    clock.now += 1.0
    limiter.saturate()  # LeadSquared said 429: the whole window is taken from now
    clock.now += 1.0
    slot.answered()
    assert limiter.try_acquire() == 4.0


def test_the_margin_lengthens_every_window(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=1, margin=0.05)
    limiter.acquire().answered()
    assert limiter.try_acquire() == pytest.approx(5.05)


def test_a_refusal_is_false_and_waits_no_longer_than_asked(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=1)
    limiter.acquire()
    assert limiter.acquire(max_wait=1.0) is False
    assert clock.now == 1_000_000.0  # it didn't sleep: the slot frees up only after 5 s


def test_a_call_still_in_flight_when_its_window_would_end_keeps_its_slot_until_answered(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=1)
    slot = limiter.acquire()
    clock.now += 6.0  # LeadSquared hasn't answered yet: it may count the call at any moment
    assert limiter.try_acquire() > 0
    slot.answered()
    assert limiter.try_acquire() == 5.0


def test_a_slot_never_answered_counts_until_its_longest_flight_and_a_window_have_passed(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=1)  # max_flight 25 s: connect 5 + read 20
    limiter.acquire()  # the process died mid-call, or the answer's stamp couldn't be written
    clock.now += 29.9
    assert limiter.try_acquire() > 0
    clock.now += 0.2
    assert limiter.try_acquire() == 0


def test_a_caller_waiting_behind_a_call_in_flight_looks_again_soon(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=1)
    limiter.acquire()
    clock.now += 5.5  # past a window from the send: the slot frees a window after the answer
    assert 0 < limiter.try_acquire() <= 0.5


def test_a_call_in_flight_keeps_its_slot_through_a_saturate(database_url):
    clock = FakeClock()
    limiter = limiter_on(database_url, clock, calls=1)
    slot = limiter.acquire()
    clock.now += 1.0
    limiter.saturate()
    clock.now += 5.5  # the pause is over, but the call sent before it is still out
    assert limiter.try_acquire() > 0
    slot.answered()
    assert limiter.try_acquire() == 5.0


def test_a_limiter_without_a_hold_counts_from_the_send(database_url):
    clock = FakeClock()
    engine = Outbox.from_url(database_url).engine
    limiter = SharedRateLimiter(engine, 1, 60.0, margin=0, max_flight=0, clock=clock.time, sleep=clock.sleep)
    limiter.acquire()  # views.publish: nothing restamps it
    clock.now += 30.0
    assert limiter.try_acquire() == 30.0


def test_callers_in_two_processes_queue_for_the_window_instead_of_trying_again(database_url):
    """Two limiters on their own engines (two gunicorn workers), eight threads each, taking and
    answering slots together: each take and each answer reads the window once. (Read, then
    compare-and-set, made a burst's dispatchers try 5 to 9 times a sale.) And every answer is
    in the log: no call is left counted as still in flight."""
    # A minute's window: however slow the machine, no answer ages out of the log before the end.
    limiters = [SharedRateLimiter(Outbox.from_url(database_url).engine, 1000, 60.0) for _ in range(2)]
    reads = []

    def count_reads(conn, cursor, statement, parameters, context, executemany):
        if "logsale_rate_limit" in statement and ("SELECT" in statement.upper() or "RETURNING" in statement.upper()):
            reads.append(statement)

    for limiter in limiters:
        event.listen(limiter.engine, "before_cursor_execute", count_reads)
    answers = []
    lock = threading.Lock()

    def caller(limiter):
        for _ in range(10):
            slot = limiter.acquire()  # as the dispatcher asks (a lookup's max_wait uses another engine)
            slot.answered()
            with lock:
                answers.append(slot.stamp)

    threads = [threading.Thread(target=caller, args=(limiter,)) for limiter in limiters for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 160
    assert len(reads) == 2 * 160
    with limiters[0].engine.connect() as conn:
        logged = json.loads(conn.execute(select(rate_limit_windows.c.stamps)).scalar_one())
    assert sorted(logged) == sorted(answers)
