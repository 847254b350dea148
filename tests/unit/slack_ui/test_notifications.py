"""Stored notifications reach Slack through outages, by the right route, once.

The real SlackNotifier and WebClient talk HTTP to the Slack stand-in; the outbox is SQLite
or PostgreSQL. Back-off is scaled down (a few hundredths of a second) instead of waited out.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from slack_sdk import WebClient

from bot.delivery.outbox import NotificationKind, NotificationState, Outbox, SaleState
from bot.domain.model import RawSale
from bot.slack_ui import notifier as notifier_module
from bot.slack_ui.notifier import SlackNotifier
from tests import factories
from tests.standins.slack import SlackStandIn

TOKEN = "xoxb-notify-test"
USER = "U0PRIYA"
CHANNEL = "C0SALES"
ACTIVITY = "6f1c2b3a-0000-4000-8000-000000000001"


@pytest.fixture
def slack():
    standin = SlackStandIn(bot_token=TOKEN).start()
    standin.add_user(USER, email="priya@acme.in")
    standin.add_user("U0ADMIN", email="boss@acme.in")
    standin.add_channel(CHANNEL, "sales")
    standin.add_channel("C0NOTIN", "elsewhere", bot_is_member=False)
    yield standin
    standin.stop()


@pytest.fixture
def outbox(database_url):
    return Outbox.from_url(database_url)


def make_notifier(outbox: Outbox, slack: SlackStandIn, **kwargs) -> SlackNotifier:
    client = WebClient(token=TOKEN, base_url=slack.api_url, timeout=3)
    kwargs.setdefault("backoff_seconds", 0.05)
    return SlackNotifier(outbox, client, timeout=3, **kwargs)


def sale(
    outbox: Outbox,
    slack: SlackStandIn,
    *,
    outcome: SaleState = SaleState.DONE,
    key: str = "T:V1",
    channel_id: str | None = CHANNEL,
    response_url: str | None = "new",
    created_at: float | None = None,
    notify: NotificationKind | None = None,
) -> int:
    """A sale that reached ``outcome``, with its notification stored the way the dispatcher does."""
    if response_url == "new":
        response_url = slack.new_response_url(channel_id=channel_id, user_id=USER)
    record, _ = outbox.enqueue(
        factories.submission(
            key, team_id="T", user_id=USER, channel_id=channel_id, response_url=response_url,
            raw=RawSale(lead="asha@buyer.in", product_sku="SKU-PRO", status="Won", revenue="12000",
                        sales_owner="priya@acme.in"),
            prospect_id="P1", lead_label="Asha Rao", sales_date="2026-11-26 09:30:00", created_at=created_at,
        )
    )  # fmt: skip
    claimed = outbox.claim_next("w", lease_seconds=60)
    if outcome is SaleState.PENDING:
        outbox.retry_later(claimed, time.time() + 3600, error_kind="rate_limited", last_error="LeadSquared is busy.")
        assert outbox.mark_delay_notified(record.id, notify=True)
        return record.id
    notify = notify or (NotificationKind.POSTED if outcome is SaleState.DONE else NotificationKind.FAILED)
    activity = ACTIVITY if key == "T:V1" else f"{ACTIVITY}-{key}"  # ids are unique per sale
    changes = {"leadsquared_id": activity} if outcome is SaleState.DONE else {"last_error": "LeadSquared said no."}
    assert outbox.finish(claimed, outcome, notify=notify, **changes)
    return record.id


def deliver_all(notifier: SlackNotifier, timeout: float = 10.0) -> None:
    """Run the notifier until nothing is pending or sending (waiting out the scaled back-off)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not notifier.run_once("test") and not _unfinished(notifier.outbox):
            return
        time.sleep(0.02)
    raise AssertionError("notifications still undelivered")


def _unfinished(outbox: Outbox) -> bool:
    from sqlalchemy import select

    from bot.delivery.outbox import notifications

    busy = (NotificationState.PENDING.value, NotificationState.SENDING.value)
    with outbox.engine.connect() as conn:
        return conn.execute(select(notifications.c.id).where(notifications.c.state.in_(busy))).first() is not None


def channel_posts(slack: SlackStandIn) -> list:
    """Every successful in-channel post, whichever route carried it."""
    by_url = [
        c for c in slack.calls_to("response_url") if c.status == 200 and c.args.get("response_type") == "in_channel"
    ]
    by_api = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    return by_url + by_api


def the_notification(outbox: Outbox, sale_id: int):
    [notification] = outbox.notifications_for(sale_id)
    return notification


def test_a_posted_sale_is_announced_in_the_channel_once_through_the_response_url(outbox, slack):
    sale_id = sale(outbox, slack)
    notifier = make_notifier(outbox, slack)
    deliver_all(notifier)
    [post] = channel_posts(slack)
    assert post.method == "response_url" and ACTIVITY in json.dumps(post.args)
    notification = the_notification(outbox, sale_id)
    assert notification.state is NotificationState.DELIVERED and notification.delivered_route == "response_url"
    assert not notifier.run_once("test")  # nothing left to say


@pytest.mark.parametrize("outage", [503, 500, 429, None], ids=["503", "500", "429", "refused"])
def test_while_slack_is_down_the_same_route_is_retried_later_then_delivered_once(outbox, slack, outage):
    sale_id = sale(outbox, slack)
    url = the_notification(outbox, sale_id).response_url
    notifier = make_notifier(outbox, slack)
    slack.go_down(outage)
    assert notifier.run_once("test")
    waiting = the_notification(outbox, sale_id)
    assert waiting.state is NotificationState.PENDING and waiting.route == "response_url"
    assert waiting.next_attempt_at > time.time() - 0.01  # later, not at once
    if outage == 429:
        assert waiting.next_attempt_at >= time.time() + 0.5  # Slack's Retry-After (1 s) wins over 0.05 s
    # Refused, 429 and 5xx answers didn't use up the response_url (Slack never accepted the post).
    assert outbox.response_url_use_count(url) == 0
    # More tries during the outage: still the same route, nothing posted anywhere else.
    for _ in range(3):
        time.sleep(max(0.0, the_notification(outbox, sale_id).next_attempt_at - time.time()))
        notifier.run_once("test")
    assert the_notification(outbox, sale_id).state is NotificationState.PENDING
    assert the_notification(outbox, sale_id).attempts == 4
    slack.come_back()
    deliver_all(notifier)
    [post] = channel_posts(slack)
    assert post.method == "response_url" and ACTIVITY in json.dumps(post.args)
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("conversations.open") == []
    assert outbox.response_url_use_count(url) == 1


def test_an_expired_response_url_falls_back_to_chat_post_message(outbox, slack):
    sale_id = sale(outbox, slack)
    slack.expire_response_url(the_notification(outbox, sale_id).response_url)
    deliver_all(make_notifier(outbox, slack))
    [post] = channel_posts(slack)
    assert post.method == "chat.postMessage" and post.args["channel"] == CHANNEL
    assert the_notification(outbox, sale_id).delivered_route == "channel"


def test_not_in_channel_falls_back_to_a_dm(outbox, slack):
    sale_id = sale(outbox, slack, channel_id="C0NOTIN", response_url=None)
    deliver_all(make_notifier(outbox, slack))
    [refused] = slack.calls_to("chat.postMessage")[:1]
    assert refused.response["error"] == "not_in_channel"
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    assert dm.args["channel"].startswith("D") and ACTIVITY in json.dumps(dm.args)
    assert the_notification(outbox, sale_id).delivered_route == "dm"


def test_a_used_up_response_url_is_not_tried_again(outbox, slack):
    sale_id = sale(outbox, slack)
    url = the_notification(outbox, sale_id).response_url
    for _ in range(5):  # five earlier notices of this command used it (in any process)
        assert outbox.take_response_url_use(url)
    assert not outbox.take_response_url_use(url)
    deliver_all(make_notifier(outbox, slack))
    assert slack.calls_to("response_url") == []
    [post] = channel_posts(slack)
    assert post.method == "chat.postMessage"


def test_a_response_url_over_30_minutes_old_is_not_tried(outbox, slack):
    sale_id = sale(outbox, slack, created_at=time.time() - 31 * 60)
    deliver_all(make_notifier(outbox, slack))
    assert slack.calls_to("response_url") == []
    assert the_notification(outbox, sale_id).delivered_route == "channel"


def test_uses_are_counted_across_the_notifications_of_one_command(outbox, slack):
    slack.response_url_max_posts = 2  # a stricter Slack: what matters is that we count per URL
    url = slack.new_response_url(channel_id=CHANNEL, user_id=USER)
    first = sale(outbox, slack, key="T:V1", response_url=url)
    second = sale(outbox, slack, key="T:V2", response_url=url)
    deliver_all(make_notifier(outbox, slack))
    assert outbox.response_url_use_count(url) == 2
    assert {the_notification(outbox, s).delivered_route for s in (first, second)} == {"response_url"}
    assert [c.status for c in slack.calls_to("response_url")] == [200, 200]


def test_failure_notices_go_to_the_submitter_only(outbox, slack):
    sale_id = sale(outbox, slack, outcome=SaleState.FAILED)
    slack.expire_response_url(the_notification(outbox, sale_id).response_url)
    deliver_all(make_notifier(outbox, slack))
    [ephemeral] = slack.calls_to("chat.postEphemeral")
    assert ephemeral.ok and ephemeral.args["user"] == USER and "LeadSquared said no." in json.dumps(ephemeral.args)
    assert channel_posts(slack) == []


def test_a_delay_notice_the_outcome_made_stale_is_dropped(outbox, slack):
    sale_id = sale(outbox, slack, outcome=SaleState.PENDING)
    claimed = outbox.claim_next("w", lease_seconds=60, now=time.time() + 3601)
    outbox.finish(claimed, SaleState.DONE, notify=NotificationKind.POSTED, leadsquared_id=ACTIVITY)
    deliver_all(make_notifier(outbox, slack))
    delayed, posted = outbox.notifications_for(sale_id)
    assert delayed.state is NotificationState.SUPERSEDED and posted.state is NotificationState.DELIVERED
    assert [c.args.get("response_type") for c in slack.calls_to("response_url")] == ["in_channel"]


def test_past_the_horizon_a_notification_expires_and_is_logged(outbox, slack, caplog):
    sale_id = sale(outbox, slack)
    slack.go_down(503)
    notifier = make_notifier(outbox, slack, horizon_seconds=0.3)
    notifier.run_once("test")
    time.sleep(0.35)
    with caplog.at_level(logging.ERROR, logger="bot.slack_ui.notifier"):
        deliver_all(notifier)
    notification = the_notification(outbox, sale_id)
    assert notification.state is NotificationState.EXPIRED and "503" in notification.last_error
    assert [n.id for n in outbox.undelivered_notifications()] == [notification.id]
    assert any("gave up telling Slack" in r.getMessage() for r in caplog.records)
    assert all(c.status == 503 for c in slack.calls)  # never posted


def test_when_no_route_can_work_it_expires_at_once(outbox, slack):
    sale_id = sale(outbox, slack, channel_id="C0NOTIN", response_url=None)
    slack.users[USER]["deleted"] = True  # no DM either
    deliver_all(make_notifier(outbox, slack))
    notification = the_notification(outbox, sale_id)
    assert notification.state is NotificationState.EXPIRED
    assert "not_in_channel" in notification.last_error and "user_disabled" in notification.last_error


def test_our_own_error_while_delivering_is_retried_then_given_up(outbox, slack, monkeypatch):
    sale_id = sale(outbox, slack)

    def broken(record):
        raise RuntimeError("a bug in the message builder")

    monkeypatch.setattr(notifier_module.messages, "posted_message", broken)
    deliver_all(make_notifier(outbox, slack))
    notification = the_notification(outbox, sale_id)
    assert notification.state is NotificationState.EXPIRED and notification.failures == 3
    assert slack.calls == []


def test_many_notifiers_on_one_database_deliver_each_notification_once(outbox, slack, database_url):
    sale_ids = [sale(outbox, slack, key=f"T:V{n}") for n in range(12)]
    slack.go_down(503)
    notifiers = [make_notifier(Outbox.from_url(database_url), slack) for _ in range(4)]
    for n in notifiers:
        n.run_once("first")  # everyone fails once: Slack is down

    slack.come_back()
    threads = [threading.Thread(target=deliver_all, args=(n, 20)) for n in notifiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    posts = channel_posts(slack)
    assert len(posts) == 12
    assert sorted(undo_value(p) for p in posts) == sorted(str(s) for s in sale_ids)  # each sale once


def undo_value(post) -> str:
    """The sale id an announcement's Undo button carries."""
    [value] = [
        element["value"]
        for block in post.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == "logsale_undo"
    ]
    return value


def test_an_undo_edits_the_channel_message_through_the_clicks_response_url(outbox, slack):
    sale_id = sale(outbox, slack)
    deliver_all(make_notifier(outbox, slack))
    click_url = slack.new_response_url(channel_id=CHANNEL, user_id="U0ADMIN")
    edit = {"by": "U0ADMIN", "channel_id": CHANNEL, "message_ts": "1.000001"}
    assert outbox.mark_cancelled(sale_id, "U0ADMIN", notify_extra=edit, response_url=click_url)
    slack.go_down(503)
    notifier = make_notifier(outbox, slack)
    notifier.run_once("test")
    slack.come_back()
    deliver_all(notifier)
    [replaced] = [c for c in slack.calls_to("response_url") if c.status == 200 and c.args.get("replace_original")]
    assert "undone by <@U0ADMIN>" in json.dumps(replaced.args)


def test_an_undo_whose_response_url_is_gone_updates_the_message_with_chat_update(outbox, slack):
    sale_id = sale(outbox, slack, response_url=None)
    deliver_all(make_notifier(outbox, slack))
    [posted] = slack.calls_to("chat.postMessage")
    edit = {"by": USER, "channel_id": CHANNEL, "message_ts": posted.response["ts"]}
    click_url = slack.new_response_url(channel_id=CHANNEL, user_id=USER)
    slack.expire_response_url(click_url)
    assert outbox.mark_cancelled(sale_id, USER, notify_extra=edit, response_url=click_url)
    deliver_all(make_notifier(outbox, slack))
    [update] = slack.calls_to("chat.update")
    assert update.ok and "undone by" in json.dumps(update.args)
    assert outbox.notifications_for(sale_id)[-1].delivered_route == "channel"


def test_the_notification_tuning_variables_are_read_with_their_defaults():
    from tests.unit.test_config import config_error, load

    assert load().notify_backoff_seconds == 2 and load().notify_horizon_seconds == 86400
    tuned = load(LOGSALE_NOTIFY_BACKOFF_SECONDS=" 0.2 ", LOGSALE_NOTIFY_HORIZON_SECONDS="600")
    assert tuned.notify_backoff_seconds == 0.2 and tuned.notify_horizon_seconds == 600
    for name in ("LOGSALE_NOTIFY_BACKOFF_SECONDS", "LOGSALE_NOTIFY_HORIZON_SECONDS"):
        for bad in ("soon", "0", "-1", "nan"):
            error = config_error(**{name: bad})
            assert name in error and "\n" not in error


# --- a sale logged from a message (the message shortcut): its announcement replies in the thread


THREAD = "1700000000.000100"


def test_a_message_shortcut_sale_is_announced_in_its_thread_and_retried_there_through_an_outage(outbox, slack):
    sale_id = sale(outbox, slack)
    other_id = sale(outbox, slack, key="T:V2")  # logged with /logsale: no thread
    notifier = make_notifier(outbox, slack)
    notifier.thread_of = lambda record: THREAD if record.id == sale_id else None
    slack.go_down(503)
    notifier.run_once("test")
    waiting = the_notification(outbox, sale_id)
    # Slack is down: the thread again later, not the response_url (which can't reach a thread).
    assert waiting.state is NotificationState.PENDING and waiting.route == "thread"
    slack.come_back()
    deliver_all(notifier)
    threaded = [c for c in slack.calls_to("chat.postMessage") if c.ok and c.args.get("thread_ts") == THREAD]
    assert len(threaded) == 1 and threaded[0].args["channel"] == CHANNEL
    assert the_notification(outbox, sale_id).delivered_route == "thread"
    assert the_notification(outbox, other_id).delivered_route == "response_url"
    assert len(channel_posts(slack)) == 2  # each sale announced once


def test_a_thread_the_bot_cant_post_in_falls_back_to_the_response_url(outbox, slack):
    sale_id = sale(outbox, slack, channel_id="C0NOTIN")
    notifier = make_notifier(outbox, slack)
    notifier.thread_of = lambda record: THREAD
    deliver_all(notifier)
    assert the_notification(outbox, sale_id).delivered_route == "response_url"
    assert [c for c in slack.calls_to("chat.postMessage") if c.ok] == []


def test_notices_for_the_submitter_alone_never_go_to_the_thread(outbox, slack):
    sale_id = sale(outbox, slack, outcome=SaleState.FAILED)
    notifier = make_notifier(outbox, slack)
    notifier.thread_of = lambda record: THREAD
    deliver_all(notifier)
    assert the_notification(outbox, sale_id).delivered_route == "response_url"
    assert [c for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts")] == []


def test_a_given_up_notification_is_counted_for_metrics(outbox, slack):
    from bot import metrics

    def given_up() -> float:
        return metrics.NOTIFICATION_FAILURES.labels("posted")._value.get()

    before = given_up()
    sale(outbox, slack, channel_id=None, response_url=None)
    slack.fail_next("conversations.open", "user_not_found")
    deliver_all(make_notifier(outbox, slack))
    assert given_up() == before + 1
