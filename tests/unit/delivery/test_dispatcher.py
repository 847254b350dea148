"""The dispatcher's decisions, against the LeadSquared stand-in, without Slack."""

from __future__ import annotations

import time

import pytest

from bot.delivery import dispatcher as dispatcher_module
from bot.delivery.dispatcher import Dispatcher, backoff_seconds
from bot.delivery.outbox import Outbox, SaleState
from bot.delivery.rate_limit import SharedRateLimiter
from bot.domain.model import RawSale
from bot.leadsquared.client import LeadSquaredClient, sale_body
from tests import factories
from tests.e2e.server import free_port
from tests.standins.leadsquared import LeadSquaredStandIn

CREATE = "SalesActivity.svc/Create"


class RecordingNotifier:
    """Stands in for the Slack side: what matters here is what the outbox stored to be said."""

    def __init__(self):
        self.wakes = 0

    def start(self):
        pass

    def stop(self, timeout=5.0):
        pass

    def wake(self):
        self.wakes += 1


def told(outbox: Outbox, sale_id: int) -> list[str]:
    """The notifications stored for a sale, oldest first."""
    return [n.kind.value for n in outbox.notifications_for(sale_id)]


@pytest.fixture
def lsq():
    with LeadSquaredStandIn("ak", "sk") as standin:
        yield standin


def make(lsq_url: str, database_url: str, **kwargs):
    outbox = Outbox.from_url(database_url)
    limiter = SharedRateLimiter(outbox.engine, 25, 5.0)
    client = LeadSquaredClient(lsq_url, "ak", "sk", timeout=(1.0, 1.0), rate_limiter=limiter)
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(outbox, client, notifier, lease_seconds=30, rate_limiter=limiter, **kwargs)
    return outbox, dispatcher, notifier


def enqueue(outbox: Outbox, lead: str, *, created_at: float | None = None, key: str = "T:V1", **raw) -> int:
    values = dict(lead=lead, product_sku="SKU-PRO", status="Won", revenue="1500", sales_owner="o@acme.in")
    values.update(raw)
    sub = factories.submission(key, raw=RawSale(**values), created_at=created_at, team_id="T", user_name="")
    record, _ = outbox.enqueue(sub)
    return record.id


def test_backoff_starts_at_most_5s_doubles_and_caps_at_60s():
    assert all(4.0 <= backoff_seconds(1) <= 5.0 for _ in range(50))
    assert 8.0 <= backoff_seconds(2) <= 10.0
    assert all(48.0 <= backoff_seconds(n) <= 60.0 for n in (5, 9, 30))


def test_resolves_an_email_lead_then_posts_and_reports(lsq, sqlite_url):
    lead_id = lsq.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in")
    outbox, dispatcher, notifier = make(lsq.url, sqlite_url)
    sale_id = enqueue(outbox, "asha@buyer.in")
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    assert record.state is SaleState.DONE and record.prospect_id == lead_id and record.lead_label == "Asha Rao"
    assert record.leadsquared_id in lsq.live_activities()
    assert told(outbox, sale_id) == ["posted"] and notifier.wakes == 1
    assert not dispatcher.run_once()  # nothing else is due


def test_an_unknown_lead_fails_with_the_reason_and_is_not_posted(lsq, sqlite_url):
    outbox, dispatcher, notifier = make(lsq.url, sqlite_url)
    sale_id = enqueue(outbox, "ghost@nowhere.in")
    dispatcher.run_once()
    record = outbox.get(sale_id)
    assert record.state is SaleState.FAILED and "ghost@nowhere.in" in record.last_error
    assert lsq.calls_to(CREATE) == [] and told(outbox, sale_id) == ["failed"]


def test_transient_failures_retry_later_and_tell_the_user_once(sqlite_url):
    outbox, dispatcher, notifier = make(f"http://127.0.0.1:{free_port()}", sqlite_url)
    sale_id = enqueue(outbox, "11111111-2222-3333-4444-555555555555")
    before = time.time()
    dispatcher.run_once()
    record = outbox.get(sale_id)
    assert record.state is SaleState.PENDING and record.error_kind == "unreachable"
    assert before + 4 <= record.next_attempt_at <= time.time() + 5
    assert not record.maybe_posted  # a refused connection never reached LeadSquared
    # Due again: still unreachable; no second notice.
    outbox.retry_later(outbox.claim_next("t", lease_seconds=30, now=record.next_attempt_at), 0)
    dispatcher.run_once()
    assert told(outbox, sale_id) == ["delayed"]
    assert outbox.get(sale_id).next_attempt_at - time.time() > 7  # second back-off is longer


def test_past_the_horizon_a_never_sent_sale_fails_and_an_ambiguous_one_is_unknown(lsq, sqlite_url):
    outbox, dispatcher, notifier = make(f"http://127.0.0.1:{free_port()}", sqlite_url, retry_horizon_seconds=60)
    old = time.time() - 120
    never_sent = enqueue(outbox, "11111111-2222-3333-4444-555555555555", created_at=old)
    dispatcher.run_once()
    assert outbox.get(never_sent).state is SaleState.FAILED
    assert "gave up" in outbox.get(never_sent).last_error

    lead_id = lsq.add_lead(email="a@b.in")
    outbox2, dispatcher2, notifier2 = make(lsq.url, sqlite_url.replace(".db", "2.db"), retry_horizon_seconds=60)
    ambiguous = enqueue(outbox2, lead_id, created_at=old, key="T:V2")
    lsq.fail_next("bare_500_html", path_contains=CREATE)
    lsq.fail_next("bare_500_html", path_contains="RetrieveByLeadId")
    dispatcher2.run_once()
    record = outbox2.get(ambiguous)
    assert record.state is SaleState.UNKNOWN and "may or may not be in LeadSquared" in record.last_error


def test_a_rate_limited_answer_pauses_the_shared_limiter(lsq, sqlite_url):
    lead_id = lsq.add_lead(email="a@b.in")
    outbox, dispatcher, _ = make(lsq.url, sqlite_url)
    enqueue(outbox, lead_id)
    lsq.fail_next("rate_429", path_contains=CREATE)
    dispatcher.run_once()
    assert dispatcher.rate_limiter.try_acquire() > 4.0  # every process now waits for the window


def test_a_crashed_posting_row_is_looked_up_before_posting_again(lsq, sqlite_url):
    lead_id = lsq.add_lead(email="a@b.in")
    outbox, dispatcher, notifier = make(lsq.url, sqlite_url)
    sale_id = enqueue(outbox, lead_id, sales_date="2026-11-20 10:00")
    # A process claimed it, posted, and died before recording the answer.
    claimed = outbox.claim_next("dead", lease_seconds=0.01)
    body = {"ProspectId": lead_id, "ProductSku": "SKU-PRO", "Status": "Won", "Revenue": 1500,
            "SalesOwnerEmail": "o@acme.in", "SalesDate": "2026-11-20 04:30:00"}  # fmt: skip
    existing = LeadSquaredClient(lsq.url, "ak", "sk").create_sales_activity(body)
    assert claimed.state is SaleState.POSTING
    time.sleep(0.05)
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    assert record.state is SaleState.DONE and record.leadsquared_id == existing
    assert len(lsq.calls_to(CREATE)) == 1


# --- no sale is ever stuck silently ----------------------------------------------------------

LONG_FIRST, LONG_LAST = "Asha" + "a" * 146, "Rao" + "o" * 146  # "First Last": a 300-character label


def test_a_300_character_lead_label_from_leadsquared_is_stored_and_the_sale_posted(lsq, database_url):
    lead_id = lsq.add_lead(first_name=LONG_FIRST, last_name=LONG_LAST, email="asha@buyer.in")
    outbox, dispatcher, _ = make(lsq.url, database_url)
    sale_id = enqueue(outbox, "asha@buyer.in")
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    assert len(f"{LONG_FIRST} {LONG_LAST}") == 300
    assert record.state is SaleState.DONE and record.lead_label == f"{LONG_FIRST} {LONG_LAST}"
    assert record.prospect_id == lead_id and told(outbox, sale_id) == ["posted"]


def _varchar_255(outbox: Outbox, column: str, *, back_to_text: bool = False) -> None:
    """Give a column a length, as an old table's columns had (or put it back to Text)."""
    from sqlalchemy import text

    kind = "TEXT" if back_to_text else "VARCHAR(255)"
    with outbox.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE logsale_sales ALTER COLUMN {column} TYPE {kind}"))


@pytest.mark.postgres
def test_on_postgres_a_value_too_long_for_its_column_fails_the_sale_in_plain_words(lsq, postgres_url):
    # The lead's 300-character label rides in the sale's JSON: too long for a VARCHAR(255) column.
    lsq.add_lead(first_name=LONG_FIRST, last_name=LONG_LAST, email="asha@buyer.in")
    outbox, dispatcher, _ = make(lsq.url, postgres_url, internal_retry_seconds=0.01)
    _varchar_255(outbox, "sale")
    sale_id = enqueue(outbox, "asha@buyer.in")
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    # Before: PostgreSQL's DataError left it "posting", retried every lease, the user never told.
    assert record.state is SaleState.FAILED and record.error_kind == "internal"
    assert "went wrong on our side" in record.last_error and "Edit & retry" in record.last_error
    assert "DataError" not in record.last_error and "Traceback" not in record.last_error
    assert told(outbox, sale_id) == ["failed"]
    assert lsq.calls_to(CREATE) == []  # it failed before anything was sent
    assert not dispatcher.run_once()  # and is not retried behind the user's back

    # (Revisions 0002 and 0003 leave no such column: tests/unit/test_migrations.py.)
    _varchar_255(outbox, "sale", back_to_text=True)
    again = enqueue(outbox, "asha@buyer.in", key="T:V2")
    assert dispatcher.run_once()
    assert outbox.get(again).state is SaleState.DONE and len(outbox.get(again).lead_label) == 300


def test_an_unexpected_error_that_goes_away_is_retried_and_the_sale_posted_once(lsq, database_url, monkeypatch):
    lead_id = lsq.add_lead(email="a@b.in")
    outbox, dispatcher, _ = make(lsq.url, database_url, internal_retry_seconds=0.01)
    failures = []

    def flaky_body(*args, **kwargs):
        if len(failures) < 2:
            failures.append(1)
            raise RuntimeError("a passing fault")
        return sale_body(*args, **kwargs)

    monkeypatch.setattr(dispatcher_module, "sale_body", flaky_body)
    sale_id = enqueue(outbox, lead_id)
    assert dispatcher.run_once()
    assert outbox.get(sale_id).state is SaleState.DONE and told(outbox, sale_id) == ["posted"]
    assert len(lsq.calls_to(CREATE)) == 1 and len(failures) == 2


def test_an_unexpected_error_every_time_fails_the_sale_as_internal_after_three_tries(lsq, database_url, monkeypatch):
    lead_id = lsq.add_lead(email="a@b.in")
    outbox, dispatcher, _ = make(lsq.url, database_url, internal_retry_seconds=0.01)
    tries = []

    def broken(*args, **kwargs):
        tries.append(1)
        raise KeyError("a bug")

    monkeypatch.setattr(dispatcher_module, "sale_body", broken)
    sale_id = enqueue(outbox, lead_id)
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    assert len(tries) == 3
    assert record.state is SaleState.FAILED and record.error_kind == "internal" and record.lease_until is None
    assert "Edit & retry" in record.last_error and told(outbox, sale_id) == ["failed"]
    assert lsq.calls_to(CREATE) == []


def test_an_unexpected_error_after_the_create_went_out_is_looked_up_not_posted_twice(lsq, database_url, monkeypatch):
    lead_id = lsq.add_lead(email="a@b.in")
    outbox, dispatcher, _ = make(lsq.url, database_url, internal_retry_seconds=0.01)
    real_create = dispatcher.client.create_sales_activity

    def create_then_crash(body):
        real_create(body)
        raise RuntimeError("crashed while reading the answer")

    monkeypatch.setattr(dispatcher.client, "create_sales_activity", create_then_crash)
    sale_id = enqueue(outbox, lead_id, sales_date="2026-11-20 10:00")
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    [activity_id] = lsq.live_activities()
    assert record.state is SaleState.DONE and record.leadsquared_id == activity_id  # adopted
    assert len(lsq.calls_to(CREATE)) == 1 and lsq.calls_to("RetrieveByLeadId")


def test_an_unexpected_error_every_time_after_the_create_ends_unknown_not_failed(lsq, database_url, monkeypatch):
    lead_id = lsq.add_lead(email="a@b.in")
    outbox, dispatcher, _ = make(lsq.url, database_url, internal_retry_seconds=0.01)

    def broken_lookup(*args, **kwargs):
        raise RuntimeError("a bug in the look-up")

    real_create = dispatcher.client.create_sales_activity

    def create_then_crash(body):
        real_create(body)
        raise RuntimeError("crashed while reading the answer")

    monkeypatch.setattr(dispatcher.client, "create_sales_activity", create_then_crash)
    monkeypatch.setattr(dispatcher.client, "retrieve_sales_activities_by_lead", broken_lookup)
    sale_id = enqueue(outbox, lead_id)
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    assert record.state is SaleState.UNKNOWN and record.error_kind == "internal"
    assert "may or may not be in LeadSquared" in record.last_error and told(outbox, sale_id) == ["failed"]
    assert len(lsq.calls_to(CREATE)) == 1  # never sent again blindly


def test_an_unexpected_error_during_shutdown_hands_the_sale_on_instead_of_failing_it(lsq, sqlite_url, monkeypatch):
    lead_id = lsq.add_lead(email="a@b.in")
    outbox, dispatcher, _ = make(lsq.url, sqlite_url, internal_retry_seconds=30)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(dispatcher_module, "sale_body", broken)
    sale_id = enqueue(outbox, lead_id)
    dispatcher._stop.set()  # the worker is being stopped (gunicorn's worker_exit)
    started = time.monotonic()
    assert dispatcher.run_once()
    record = outbox.get(sale_id)
    assert time.monotonic() - started < 5  # didn't sit out the 30 s pause
    assert record.state is SaleState.PENDING and record.lease_until is None and told(outbox, sale_id) == []


def test_every_state_change_asks_for_a_home_refresh_and_a_failing_hook_changes_nothing(lsq, sqlite_url):
    lsq.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in")
    outbox, dispatcher, _ = make(lsq.url, sqlite_url)
    seen: list[tuple[int, str]] = []
    dispatcher.on_state_change = lambda record: seen.append((record.id, record.state.value))
    posted = enqueue(outbox, "asha@buyer.in", key="T:V1")
    refused = enqueue(outbox, "ghost@nowhere.in", key="T:V2")
    queued = enqueue(outbox, "asha@buyer.in", key="T:V3")
    assert dispatcher.run_once() and dispatcher.run_once()
    lsq.fail_next("rate_429", path_contains=CREATE)
    assert dispatcher.run_once()
    assert seen == [(posted, "done"), (refused, "failed"), (queued, "pending")]  # back in the queue, and why

    def broken(record):
        raise RuntimeError("home table gone")

    dispatcher.on_state_change = broken
    other = enqueue(outbox, "asha@buyer.in", key="T:V4")
    outbox.retry_later(outbox.get(queued), time.time() + 3600)  # out of the way
    assert dispatcher.run_once()
    assert outbox.get(other).state is SaleState.DONE and told(outbox, other) == ["posted"]
