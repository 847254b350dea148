"""The dispatcher's decisions, against the LeadSquared stand-in, without Slack."""

from __future__ import annotations

import time

import pytest

from bot.domain.dispatcher import Dispatcher, backoff_seconds
from bot.domain.leadsquared import LeadSquaredClient
from bot.domain.model import RawSale
from bot.domain.outbox import Outbox, SaleState, Submission
from bot.domain.rate_limit import SharedRateLimiter
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


def make(lsq_url: str, sqlite_url: str, **kwargs):
    outbox = Outbox.from_url(sqlite_url)
    limiter = SharedRateLimiter(outbox.engine, 25, 5.0)
    client = LeadSquaredClient(lsq_url, "ak", "sk", timeout=(1.0, 1.0), rate_limiter=limiter)
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(outbox, client, notifier, lease_seconds=30, rate_limiter=limiter, **kwargs)
    return outbox, dispatcher, notifier


def enqueue(outbox: Outbox, lead: str, *, created_at: float | None = None, key: str = "T:V1", **raw) -> int:
    values = dict(lead=lead, product_sku="SKU-PRO", status="Won", revenue="1500", sales_owner="o@acme.in")
    values.update(raw)
    record, _ = outbox.enqueue(
        Submission(
            submission_key=key, team_id="T", user_id="U1", user_name="", channel_id="C1", response_url=None,
            user_tz="Asia/Kolkata", user_locale="en-IN", raw=RawSale(**values), lead_text=lead,
            prospect_id=None, lead_label=None, product_sku="SKU-PRO", status="Won", revenue="1500",
            sales_owner_email="o@acme.in", sales_date="", created_at=created_at or time.time(),
        )
    )  # fmt: skip
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
