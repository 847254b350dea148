"""App Home view, its coalesced refresh queue, the operator's queue moves, message text,
and the /metrics token check: pure or on the test databases."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.delivery.home_tabs import HomeTabs
from bot.delivery.outbox import Outbox, SaleRecord, SaleState
from bot.domain.model import RawSale
from bot.leadsquared.currency import AccountCurrency
from bot.listeners.shortcuts.log_sale import plain_text_of_message
from bot.metrics import token_matches
from bot.queue_cli import describe
from bot.slack_ui import messages
from bot.slack_ui.home import HomeData, build_home_view
from tests import factories
from tests.unit.delivery.test_outbox import make_submission


def record_in(outbox: Outbox, key: str, state: SaleState, *, sub: dict | None = None, **changes) -> SaleRecord:
    record, _ = outbox.enqueue(make_submission(key, **(sub or {})))
    claimed = outbox.claim_next("w", lease_seconds=60)
    assert claimed.id == record.id
    assert outbox.finish(claimed, state, **changes)
    return outbox.get(record.id)


# --------------------------------------------------------------------------- the operator's moves
def test_retry_of_an_unknown_sale_never_reposts_blindly(database_url):
    outbox = Outbox.from_url(database_url)
    unknown = record_in(outbox, "T1:V1", SaleState.UNKNOWN, error_kind="ambiguous", last_error="timed out")
    assert not unknown.maybe_posted  # the dispatcher gives up without storing the flag
    retried = outbox.requeue(unknown.id)
    assert retried.state is SaleState.PENDING and retried.maybe_posted and retried.attempts == 0
    claimed = outbox.claim_next("w2", lease_seconds=60)
    assert claimed.id == unknown.id and claimed.maybe_posted  # the dispatcher will look it up first


def test_retry_of_a_failed_sale_keeps_what_it_knew(database_url):
    outbox = Outbox.from_url(database_url)
    failed = record_in(outbox, "T1:V1", SaleState.FAILED, error_kind="mx")
    doubtful = record_in(outbox, "T1:V2", SaleState.FAILED, maybe_posted=True)  # refused after a timeout
    assert not outbox.requeue(failed.id).maybe_posted
    assert outbox.requeue(doubtful.id).maybe_posted


@pytest.mark.parametrize("state", [SaleState.DONE, SaleState.CANCELLED])
def test_only_failed_or_unknown_sales_can_be_retried_or_resolved(database_url, state):
    outbox = Outbox.from_url(database_url)
    record = record_in(outbox, "T1:V1", state, leadsquared_id="A1")
    assert outbox.requeue(record.id) is None
    assert outbox.mark_resolved(record.id) is None
    assert outbox.get(record.id).state is state
    assert outbox.requeue(12345) is None


def test_resolved_sales_are_never_claimed_again(database_url):
    outbox = Outbox.from_url(database_url)
    record = record_in(outbox, "T1:V1", SaleState.FAILED)
    assert outbox.mark_resolved(record.id).state is SaleState.RESOLVED
    assert outbox.mark_resolved(record.id) is None  # once
    assert outbox.claim_next("w", lease_seconds=60, now=time.time() + 10**6) is None


def test_stuck_sales_are_the_unsent_ones_older_than_the_limit(database_url):
    outbox = Outbox.from_url(database_url)
    now = time.time()
    record_in(outbox, "T1:V3", SaleState.DONE, leadsquared_id="A3")  # posted: not stuck, however old
    old, _ = outbox.enqueue(make_submission("T1:V1", created_at=now - 3600))
    outbox.enqueue(make_submission("T1:V2", created_at=now - 10))
    assert [r.id for r in outbox.stuck_sales(older_than=600, now=now)] == [old.id]
    assert outbox.oldest_created_at(due_only=False, now=now) == pytest.approx(now - 3600)


def test_month_to_date_counts_only_sales_in_leadsquared(database_url):
    outbox = Outbox.from_url(database_url)
    # Posted, but a second before 1 November in Kolkata: last month.
    record_in(outbox, "T1:V0", SaleState.DONE, sub={"sales_date": "2026-10-31 18:29:59"}, leadsquared_id="A0")
    for n, state in enumerate([SaleState.DONE, SaleState.FAILED, SaleState.CANCELLED], start=1):
        record_in(outbox, f"T1:V{n}", state, leadsquared_id=f"A{n}")
    logged = outbox.logged_since("U1", "2026-10-31 18:30:00")  # 1 Nov 00:00 in Kolkata, in UTC
    assert [r.leadsquared_id for r in logged] == ["A1"]


def test_describe_says_where_a_sale_stands_in_one_line(database_url):
    outbox = Outbox.from_url(database_url)
    record = record_in(outbox, "T1:V1", SaleState.UNKNOWN, error_kind="ambiguous", last_error="No answer.\nGave up.")
    line = describe(record)
    assert "\n" not in line
    assert line.startswith(f"#{record.id} unknown ")
    assert "may already be in LeadSquared" in line and "ambiguous: No answer. Gave up." in line


# --------------------------------------------------------------------------- coalesced refresh
def test_a_burst_of_changes_is_one_publish_per_interval_claimed_once(database_url):
    tabs = HomeTabs(Outbox.from_url(database_url).engine)
    tabs.create_schema()
    t0 = 1_000_000.0
    tabs.opened("U1", now=t0)
    assert tabs.request_refresh(["U2"], now=t0) == 0  # never opened the Home: nothing to refresh
    for n in range(10):
        tabs.request_refresh(["U1"], now=t0 + 0.1 * n)
    assert tabs.request_refresh(["U1"], now=t0 + 1) == 0  # already waiting for its refresh: no write
    assert tabs.claim_due(min_interval=5, now=t0 + 1) == []  # published at t0: too soon
    assert tabs.claim_due(min_interval=5, now=t0 + 5) == ["U1"]
    assert tabs.claim_due(min_interval=5, now=t0 + 5) == []  # another process finds it claimed
    assert tabs.claim_due(min_interval=5, now=t0 + 20) == []  # nothing changed since
    tabs.request_refresh(["U1"], now=t0 + 21)
    assert tabs.claim_due(min_interval=5, now=t0 + 21) == ["U1"]


# --------------------------------------------------------------------------- the Home view
def sale(n: int, state: SaleState, **fields) -> SaleRecord:
    return factories.record(n, state, attempts=1, **fields)


def test_each_sale_shows_its_state_in_words_and_only_the_action_that_applies():
    states = [SaleState.PENDING, SaleState.DONE, SaleState.FAILED, SaleState.UNKNOWN, SaleState.CANCELLED]
    view = build_home_view(HomeData("November 2026", 1, "12000", [sale(n, s) for n, s in enumerate(states)]))
    by_id = {b["block_id"]: b for b in view["blocks"] if b.get("block_id", "").startswith("sale_")}
    words = {k: v["text"]["text"] for k, v in by_id.items()}
    assert words["sale_0"] == "*queued*"
    assert words["sale_1"].startswith("*posted*") and "`A1`" in words["sale_1"]
    assert words["sale_2"] == "*needs attention*"
    assert words["sale_3"].startswith("*needs attention")
    assert words["sale_4"].startswith("*undone*")
    actions = {k: (v.get("accessory") or {}).get("action_id") for k, v in by_id.items()}
    assert actions == {
        "sale_0": None,
        "sale_1": "logsale_home_undo",
        "sale_2": "logsale_home_edit_retry",
        "sale_3": None,  # may be in LeadSquared: editing it again could double it
        "sale_4": None,
    }


def test_the_team_section_stays_within_slacks_100_blocks():
    many = [sale(n, SaleState.FAILED, user_id="U9") for n in range(200)]
    recent = [sale(1000 + n, SaleState.DONE) for n in range(10)]
    view = build_home_view(HomeData("November 2026", 10, "120000", recent, many, len(many), notice="Done."))
    assert len(view["blocks"]) <= 100
    assert "…and 180 more" in json.dumps(view, ensure_ascii=False)


def text_objects(view: dict) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(view)
    return found


@given(st.text(max_size=200))
def test_user_text_on_the_home_is_only_ever_plain_text(typed):
    # Marked at both ends, so we can tell it anywhere: it must never reach a mrkdwn object.
    text = f"QZX{typed}XZQ"
    record = sale(1, SaleState.FAILED, product_sku=text, lead_text=text, status=text, last_error=text, user_id="U1")
    view = build_home_view(
        HomeData("November 2026", 0, "0", [record], [record], 1, notice="I couldn't undo it:", notice_detail=text)
    )
    objects = text_objects(view)
    for obj in objects:
        if obj["type"] == "mrkdwn":
            # Only our own words and the owner's mention.
            assert "QZX" not in obj["text"] and "XZQ" not in obj["text"]
            assert "<" not in obj["text"].replace("<@U1>", "")
    echoed = [o for o in objects if o["type"] == "plain_text" and messages.one_line(text) in o["text"]]
    assert echoed and all(o.get("emoji") is False for o in echoed)  # ":x:" typed stays ":x:"


def test_a_lead_called_bold_is_not_bold_and_labels_and_currency_read_like_messages():
    raw = RawSale(
        lead="0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f",  # a ProspectId, picked by its label
        product_sku="SKU-PRO",
        status="Won",
        revenue="1200000",
        lead_label="*Big* · big@acme.in",
        product_label="SKU-PRO · Pro plan",
    )
    record = sale(1, SaleState.DONE, raw=raw)
    rupee = AccountCurrency("₹", "INR")
    view = build_home_view(HomeData("November 2026", 1, "1200000", [record], locale="en-IN", currency=rupee))
    objects = text_objects(view)
    plain = " | ".join(o["text"] for o in objects if o["type"] == "plain_text")
    mrkdwn = " | ".join(o["text"] for o in objects if o["type"] == "mrkdwn")
    assert "*Big* (big@acme.in) · SKU-PRO · Pro plan · Won · ₹12,00,000" in plain
    assert "Revenue: ₹12,00,000" in plain
    assert "Big" not in mrkdwn and "₹" not in mrkdwn


# --------------------------------------------------------------------------- messages and tokens
@pytest.mark.parametrize(
    "slack_text, typed",
    [
        ("<mailto:asha@buyer.in|asha@buyer.in> SKU-PRO won", "asha@buyer.in SKU-PRO won"),
        ("<tel:+919876543210|+91 98765 43210> 12000", "+91 98765 43210 12000"),
        ("<@U0PRIYA> closed <https://acme.in/deal|the deal> 5 &amp; 6", "  closed the deal 5 & 6"),
        ("<https://acme.in> &lt;b&gt;", "https://acme.in <b>"),
        ("<#C0SALES|sales> <!here> won", "    won"),
    ],
)
def test_message_text_is_read_as_its_author_typed_it(slack_text, typed):
    assert plain_text_of_message(slack_text) == typed


def test_metrics_token_must_match_exactly_as_a_bearer_token():
    assert token_matches("Bearer s3cret", "s3cret")
    assert not token_matches("Bearer s3cret-and-more", "s3cret")
    assert not token_matches("s3cret", "s3cret")
    assert not token_matches(None, "s3cret")
    assert not token_matches("Bearer ", "s3cret")


def test_the_manifest_declares_what_the_code_listens_for():
    from pathlib import Path

    from bot.listeners.shortcuts.log_sale import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT

    manifest = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text())
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert shortcuts[GLOBAL_SHORTCUT]["type"] == "global"
    assert shortcuts[MESSAGE_SHORTCUT]["type"] == "message"
    # slackapi/manifest-schema (schemas/manifest.schema.1.0.0.json): name 1-24 chars, description <= 150.
    assert all(1 <= len(s["name"]) <= 24 and 1 <= len(s["description"]) <= 150 for s in shortcuts.values())
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events") and "app_home_opened" in events["bot_events"]
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]  # shortcuts need it, as slash commands do
