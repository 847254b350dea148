"""The outbox and the shared rate limiter, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event

from bot.delivery.outbox import Outbox, SaleState, Submission, sale_columns, sale_from_columns
from bot.delivery.rate_limit import SharedRateLimiter
from bot.domain.model import LeadRef, Sale
from tests import factories


def make_submission(key: str = "T1:V1", **overrides) -> Submission:
    values = dict(response_url="http://127.0.0.1:1/response/x", sales_date="2026-11-26 09:30:00")
    values.update(overrides)
    return factories.submission(key, **values)


def test_enqueue_is_idempotent_on_the_submission_key(database_url):
    outbox = Outbox.from_url(database_url)
    first, created = outbox.enqueue(make_submission())
    again, created_again = outbox.enqueue(make_submission(revenue="99"))
    assert created and not created_again
    assert again.id == first.id and again.revenue == "12000"
    assert first.state is SaleState.PENDING and first.raw.lead == "priya@acme.in"


def test_store_queues_the_sale_as_enqueue_does_without_reading_it_back(database_url):
    outbox = Outbox.from_url(database_url)
    assert outbox.store(make_submission("T1:S1")) is True
    assert outbox.store(make_submission("T1:S1")) is False  # Slack redelivered it
    stored = outbox.get_by_key("T1:S1")
    twin, _ = outbox.enqueue(make_submission("T1:S2"))
    same = {"id", "submission_key", "created_at", "updated_at", "next_attempt_at"}  # its own, or now
    assert {k: v for k, v in vars(stored).items() if k not in same} == {
        k: v for k, v in vars(twin).items() if k not in same
    }


def test_each_row_is_claimed_by_exactly_one_of_many_concurrent_workers(database_url):
    outbox = Outbox.from_url(database_url)
    for n in range(30):
        outbox.enqueue(make_submission(f"T1:V{n}"))
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name):
        while (record := outbox.claim_next(name, lease_seconds=60)) is not None:
            with lock:
                claimed.append(record.id)
            assert outbox.finish(record, SaleState.DONE, leadsquared_id=f"A{record.id}")

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 30
    assert outbox.count_by_state() == {"done": 30}


def test_a_process_s_threads_take_turns_to_claim_so_none_tries_a_row_another_took(database_url):
    """Eight dispatch threads of one process, a burst of 40 waiting: 40 claims, 40 writes. (Racing,
    each read the same first rows and tried them in order: 3.8 failed writes per claim.)"""
    outbox = Outbox.from_url(database_url)
    for n in range(40):
        outbox.enqueue(make_submission(f"T1:V{n}"))
    writes = []

    def count_writes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE LOGSALE_SALES"):
            writes.append(statement)

    event.listen(outbox.engine, "before_cursor_execute", count_writes)
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(name):
        start.wait()
        while (record := outbox.claim_next(name, lease_seconds=60)) is not None:
            with lock:
                claimed.append(record.id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 40
    assert len(writes) == 40


def test_an_expired_lease_is_taken_over_as_maybe_posted(database_url):
    outbox = Outbox.from_url(database_url)
    outbox.enqueue(make_submission())
    now = time.time()
    record = outbox.claim_next("dead-process", lease_seconds=5, now=now)
    assert record.state is SaleState.POSTING and not record.maybe_posted
    assert outbox.claim_next("other", lease_seconds=5, now=now + 1) is None  # lease still held
    taken = outbox.claim_next("other", lease_seconds=5, now=now + 6)
    assert taken.id == record.id and taken.maybe_posted and taken.claimed_by == "other" and taken.attempts == 2
    # The dead owner's late answer can no longer move the row.
    assert not outbox.finish(record, SaleState.DONE, leadsquared_id="late")


def test_a_renewed_lease_is_the_row_as_stored_and_the_old_copy_can_no_longer_move_it(database_url):
    outbox = Outbox.from_url(database_url)
    outbox.enqueue(make_submission())
    claimed = outbox.claim_next("w1", lease_seconds=5)
    renewed = outbox.extend_lease(claimed, lease_seconds=60)
    assert renewed == outbox.get(claimed.id)  # what the worker holds is what the database holds
    assert renewed.lease_until > claimed.lease_until and renewed.version == claimed.version + 1
    assert outbox.extend_lease(claimed, lease_seconds=60) is None  # a stale copy: taken over
    assert outbox.finish(renewed, SaleState.DONE, leadsquared_id="A1")


def test_a_claim_moves_only_the_due_row_and_returns_it_whole(database_url):
    outbox = Outbox.from_url(database_url)
    later, _ = outbox.enqueue(make_submission("T1:LATER"))
    due, _ = outbox.enqueue(make_submission("T1:DUE"))
    now = max(later.created_at, due.created_at) + 1
    assert outbox.retry_later(later, now + 60)
    claimed = outbox.claim_next("w1", lease_seconds=30, now=now)
    assert claimed == outbox.get(due.id)
    assert (claimed.submission_key, claimed.state, claimed.claimed_by, claimed.attempts) == (
        "T1:DUE",
        SaleState.POSTING,
        "w1",
        1,
    )
    assert claimed.lease_until == now + 30 and not claimed.maybe_posted
    assert outbox.claim_next("w2", lease_seconds=30, now=now) is None  # the other isn't due


def test_retry_later_waits_until_due(database_url):
    outbox = Outbox.from_url(database_url)
    outbox.enqueue(make_submission())
    now = time.time()
    record = outbox.claim_next("w", lease_seconds=60, now=now)
    assert outbox.retry_later(record, now + 30, error_kind="rate_limited", last_error="busy")
    assert outbox.claim_next("w", lease_seconds=60, now=now + 29) is None
    again = outbox.claim_next("w", lease_seconds=60, now=now + 31)
    assert again.id == record.id and again.error_kind == "rate_limited"


def test_delay_notice_and_cancel_happen_once(database_url):
    outbox = Outbox.from_url(database_url)
    record, _ = outbox.enqueue(make_submission())
    assert outbox.mark_delay_notified(record.id)
    assert not outbox.mark_delay_notified(record.id)
    claimed = outbox.claim_next("w", lease_seconds=60)
    assert not outbox.mark_cancelled(record.id, "U1")  # only a done sale can be undone
    outbox.finish(claimed, SaleState.DONE, leadsquared_id="A1")
    assert outbox.mark_cancelled(record.id, "U1")
    assert not outbox.mark_cancelled(record.id, "U1")
    assert outbox.get(record.id).state is SaleState.CANCELLED


def test_history_is_newest_first_and_per_user(database_url):
    outbox = Outbox.from_url(database_url)
    for n in range(12):
        outbox.enqueue(make_submission(f"T1:V{n}", product_sku=f"SKU-{n}"))
    outbox.enqueue(make_submission("T1:other", user_id="U2"))
    recent = outbox.recent_for_user("U1", limit=10)
    assert [r.product_sku for r in recent] == [f"SKU-{n}" for n in range(11, 1, -1)]
    assert "SKU-11" in outbox.known_skus()


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rate_limiter_allows_a_burst_then_waits_for_the_window(database_url):
    outbox = Outbox.from_url(database_url)
    clock = FakeClock()
    limiter = SharedRateLimiter(outbox.engine, 25, 5.0, margin=0.2, clock=clock.time, sleep=clock.sleep)
    assert all(limiter.try_acquire() == 0 for _ in range(25))
    wait = limiter.try_acquire()
    assert 5.1 < wait <= 5.2
    assert not limiter.acquire(max_wait=1.0)
    assert limiter.acquire(max_wait=6.0)
    assert clock.now >= 1_000_005.2


def test_rate_limiter_is_shared_between_limiters_on_one_database(database_url):
    outbox = Outbox.from_url(database_url)
    clock = FakeClock()
    a = SharedRateLimiter(outbox.engine, 10, 5.0, clock=clock.time, sleep=clock.sleep)
    b = SharedRateLimiter(Outbox.from_url(database_url).engine, 10, 5.0, clock=clock.time, sleep=clock.sleep)
    taken = sum(1 for i in range(20) if (a if i % 2 else b).try_acquire() == 0)
    assert taken == 10


def test_rate_limiter_under_real_threads_never_exceeds_the_limit(database_url):
    outbox = Outbox.from_url(database_url)
    limiter = SharedRateLimiter(outbox.engine, 5, 0.5, margin=0.0)
    stamps: list[float] = []
    lock = threading.Lock()

    def caller():
        for _ in range(3):
            slot = limiter.acquire(max_wait=10)
            assert slot
            slot.answered()  # a call answered at once
            with lock:
                # The time the limiter stamped the answer, not when this thread got to run again.
                stamps.append(slot.stamp)

    threads = [threading.Thread(target=caller) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 15
    for i in range(len(stamps) - 5):
        assert stamps[i + 5] - stamps[i] >= 0.5 - 1e-9  # never 6 calls within one window (float rounding aside)


def test_saturate_pauses_everyone_for_a_window(database_url):
    outbox = Outbox.from_url(database_url)
    clock = FakeClock()
    limiter = SharedRateLimiter(outbox.engine, 25, 5.0, margin=0.0, clock=clock.time, sleep=clock.sleep)
    limiter.saturate()
    assert limiter.try_acquire() == 5.0


def test_lookups_yield_to_waiting_sales(database_url):
    from bot.delivery.rate_limit import SalesFirstLimiter

    outbox = Outbox.from_url(database_url)
    limiter = SharedRateLimiter(outbox.engine, 25, 5.0)
    lookups = SalesFirstLimiter(limiter, outbox.has_backlog)
    assert lookups.acquire(max_wait=0)  # nothing queued: lookups share the limit
    record, _ = outbox.enqueue(make_submission())
    assert outbox.has_backlog()
    assert not lookups.acquire(max_wait=0)  # a sale is waiting: it gets the calls
    claimed = outbox.claim_next("w", lease_seconds=60)
    assert not lookups.acquire(max_wait=0)  # ...also while it is being posted
    outbox.finish(claimed, SaleState.DONE, leadsquared_id="A1")
    assert lookups.acquire(max_wait=0)
    # A sale waiting out a back-off isn't due: lookups may go meanwhile.
    outbox.enqueue(make_submission("T1:later", created_at=time.time() + 60))
    assert lookups.acquire(max_wait=0)


# --- notifications ------------------------------------------------------------------------------


def test_an_outcome_and_its_notification_are_stored_together_and_only_by_the_winner(database_url):
    from bot.delivery.outbox import NotificationKind, NotificationState

    outbox = Outbox.from_url(database_url)
    record, _ = outbox.enqueue(make_submission())
    claimed = outbox.claim_next("w", lease_seconds=60)
    assert outbox.finish(claimed, SaleState.DONE, notify=NotificationKind.POSTED, leadsquared_id="A1")
    # A stale copy of the row (a worker whose lease ran out) moves nothing and stores nothing.
    assert not outbox.finish(claimed, SaleState.FAILED, notify=NotificationKind.FAILED, last_error="late")
    [posted] = outbox.notifications_for(record.id)
    assert posted.kind is NotificationKind.POSTED and posted.state is NotificationState.PENDING
    assert posted.response_url == record.response_url and posted.response_url_issued_at == record.created_at
    # The first route; the notifier skips it unless the sale was logged from a message (its thread).
    assert posted.route == "thread"


def test_a_duplicate_activity_stores_no_notification(database_url):
    from bot.delivery.outbox import DuplicateActivity, NotificationKind

    outbox = Outbox.from_url(database_url)
    first, _ = outbox.enqueue(make_submission("T1:a"))
    second, _ = outbox.enqueue(make_submission("T1:b"))
    outbox.finish(outbox.claim_next("w", lease_seconds=60), SaleState.DONE, leadsquared_id="A1")
    twin = outbox.claim_next("w", lease_seconds=60)
    with pytest.raises(DuplicateActivity):
        outbox.finish(twin, SaleState.DONE, notify=NotificationKind.POSTED, leadsquared_id="A1")
    assert outbox.notifications_for(second.id) == [] and outbox.get(second.id).state is SaleState.POSTING


def test_the_delay_notice_and_the_undo_edit_are_stored_once(database_url):
    from bot.delivery.outbox import NotificationKind

    outbox = Outbox.from_url(database_url)
    record, _ = outbox.enqueue(make_submission())
    assert outbox.mark_delay_notified(record.id, notify=True)
    assert not outbox.mark_delay_notified(record.id, notify=True)
    outbox.finish(outbox.claim_next("w", lease_seconds=60), SaleState.DONE, leadsquared_id="A1")
    edit = {"by": "U9", "channel_id": "C1", "message_ts": "1.2"}
    assert outbox.mark_cancelled(record.id, "U9", notify_extra=edit, response_url="http://127.0.0.1:1/response/y")
    assert not outbox.mark_cancelled(record.id, "U9", notify_extra=edit, response_url="http://127.0.0.1:1/response/y")
    delayed, undone = outbox.notifications_for(record.id)
    assert delayed.kind is NotificationKind.DELAYED and undone.kind is NotificationKind.UNDONE
    assert undone.extra == edit and undone.response_url.endswith("/response/y")


def test_each_notification_is_claimed_by_exactly_one_of_many_concurrent_workers(database_url):
    from bot.delivery.outbox import NotificationKind, NotificationState

    outbox = Outbox.from_url(database_url)
    for n in range(20):
        outbox.enqueue(make_submission(f"T1:V{n}"))
        outbox.finish(
            outbox.claim_next("w", lease_seconds=60),
            SaleState.DONE,
            notify=NotificationKind.POSTED,
            leadsquared_id=f"A{n}",
        )
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name):
        other = Outbox.from_url(database_url)
        while (notification := other.claim_next_notification(name, lease_seconds=60)) is not None:
            with lock:
                claimed.append(notification.id)
            assert other.notification_finish(notification, NotificationState.DELIVERED, delivered_route="dm")

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 20 and len(set(claimed)) == 20


def test_a_notification_left_sending_by_a_dead_process_is_taken_over_after_its_lease(database_url):
    from bot.delivery.outbox import NotificationKind

    outbox = Outbox.from_url(database_url)
    outbox.enqueue(make_submission())
    outbox.finish(outbox.claim_next("w", lease_seconds=60), SaleState.DONE, notify=NotificationKind.POSTED)
    now = time.time()
    dead = outbox.claim_next_notification("dead", lease_seconds=5, now=now)
    assert outbox.claim_next_notification("other", lease_seconds=5, now=now + 1) is None
    taken = outbox.claim_next_notification("other", lease_seconds=5, now=now + 6)
    assert taken.id == dead.id and taken.claimed_by == "other" and taken.attempts == 2
    assert not outbox.notification_retry_later(dead, now + 10)  # the dead owner can't move it any more


def test_a_response_url_gives_five_uses_across_processes_and_threads(database_url):
    outbox = Outbox.from_url(database_url)
    url = "https://hooks.slack.com/commands/T1/1/secret"
    granted: list[bool] = []
    lock = threading.Lock()

    def use():
        ok = Outbox.from_url(database_url).take_response_url_use(url)
        with lock:
            granted.append(ok)

    threads = [threading.Thread(target=use) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 5 and outbox.response_url_use_count(url) == 5
    outbox.give_back_response_url_use(url)  # Slack answered 503: that post didn't count
    assert outbox.take_response_url_use(url) and not outbox.take_response_url_use(url)
    assert outbox.take_response_url_use("https://hooks.slack.com/commands/T1/2/other")  # counted per URL


# --------------------------------------------------------------------------- the sale as JSON
PRIYA = Sale(
    lead=LeadRef("+91 98765 43210", "phone", "0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f", None),
    product_sku="SKU-PRO",
    status="Won",
    revenue=Decimal("12000.50"),
    sales_owner_email="owner@acme.in",
    sales_date_utc=datetime(2026, 11, 26, 9, 30, 15, 250000, tzinfo=timezone.utc),
)


def test_the_validated_sale_is_one_json_column_and_reads_back_as_itself():
    stored = sale_columns(PRIYA)
    assert json.loads(stored["sale"]) == {
        "lead": {
            "text": "+91 98765 43210",
            "kind": "phone",
            "prospect_id": "0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f",
            "label": None,
        },
        "product_sku": "SKU-PRO",
        "status": "Won",
        "revenue": "12000.50",  # as typed, not 12000.5
        "sales_owner_email": "owner@acme.in",
        "sales_date_utc": "2026-11-26T09:30:15.250000+00:00",
    }
    # The copies queries select by.
    assert {k: v for k, v in stored.items() if k != "sale"} == {
        "prospect_id": "0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f",
        "product_sku": "SKU-PRO",
        "sales_date": "2026-11-26 09:30:15",
    }
    assert sale_from_columns(stored["sale"]) == PRIYA


@pytest.mark.parametrize(
    "change",
    [
        {"revenue": "12k"},
        {"revenue": "NaN"},
        {"revenue": 12000},  # a number where text was written
        {"sales_date_utc": "2026-11-26T09:30:00"},  # no offset: which instant?
        {"sales_date_utc": "yesterday"},
        {"status": None},
        {"lead": "priya@acme.in"},
    ],
)
def test_a_stored_sale_that_does_not_read_as_one_is_none(change):
    data = {**json.loads(sale_columns(PRIYA)["sale"]), **change}
    assert sale_from_columns(json.dumps(data)) is None
    missing = json.loads(sale_columns(PRIYA)["sale"])
    del missing["status"]
    assert sale_from_columns(json.dumps(missing)) is None
    for text in (None, "", "null", "[]", "{", "[" * 100000):
        assert sale_from_columns(text) is None
