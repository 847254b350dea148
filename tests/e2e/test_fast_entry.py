"""Faster than the CRM's form: one-line entry, help, history, undo, who may log, dates."""

from __future__ import annotations

import json

from tests import slack_requests as sr
from tests.e2e.conftest import CHANNEL, SIGNING_SECRET, USER


def block_of(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def initial(view: dict, block_id: str):
    element = block_of(view, block_id)["element"]
    if "initial_option" in element:
        return element["initial_option"]["value"]
    return element.get("initial_value")


def test_one_line_entry_opens_the_modal_filled_in(bot):
    view = bot.open_modal("asha@buyer.in SKU-PRO won 12,000 yesterday 5pm")
    assert initial(view, "lead") == "asha@buyer.in"
    assert initial(view, "product_sku") == "SKU-PRO"
    assert initial(view, "status") == "Won"
    assert initial(view, "revenue") == "12000"
    assert initial(view, "sales_date") == "yesterday 5pm"
    assert bot.leadsquared.calls_to("SalesActivity.svc/Create") == []  # nothing posted before confirming


def test_one_line_entry_in_any_order_leaves_unknowns_for_the_user(bot):
    view = bot.open_modal("lost 9876543210 2500.50")
    assert initial(view, "lead") == "9876543210"
    assert initial(view, "status") == "Lost"
    assert initial(view, "revenue") == "2500.50"
    assert not initial(view, "product_sku")


def test_help_lists_examples_ephemerally(bot):
    response, _ = bot.slash("help")
    assert response.status_code == 200
    assert "history" in response.text and "yesterday 5pm" in response.text
    assert bot.slack.calls_to("views.open") == []


def test_numeric_dates_follow_the_users_locale(bot):
    # U0OTHER is en-US in New York: 11/10/2026 is November 10th, 15:00 EST = 20:00 UTC.
    view = bot.open_modal(user_id="U0OTHER")
    bot.submit(view, user_id="U0OTHER", sales_owner="priya@acme.in", sales_date="11/10/2026 3pm")
    bot.wait_for_response("in_channel")
    [body] = bot.leadsquared.live_activities().values()
    assert body["SalesDate"] == "2026-11-10 20:00:00"
    # Priya is en-IN in Kolkata: the same text is 11 October, 15:00 IST = 09:30 UTC (EDT is over by then).
    bot.log_sale(sales_date="11/10/2026 3pm")
    bot.wait_for_response("in_channel", count=2)
    dates = sorted(b["SalesDate"] for b in bot.leadsquared.live_activities().values())
    assert dates == ["2026-10-11 09:30:00", "2026-11-10 20:00:00"]


def test_a_date_in_the_future_is_an_inline_error(bot):
    response = bot.log_sale(sales_date="2099-01-01")
    assert "future" in response.json()["errors"]["sales_date"]


def _click(bot, action_id: str, value: str, user_id: str, response_url: str, message: dict | None = None):
    payload = sr.block_actions_payload(
        action_id=action_id,
        value=value,
        user_id=user_id,
        channel_id=CHANNEL,
        trigger_id=bot.slack.new_trigger_id(),
        response_url=response_url,
        message=message,
    )
    return sr.post_signed(bot.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)


def _undo_value(announcement) -> str:
    return next(
        e["value"]
        for b in announcement.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "logsale_undo"
    )


def test_undo_by_the_submitter_cancels_in_leadsquared_and_edits_the_message(bot):
    bot.log_sale()
    [announcement] = bot.wait_for_response("in_channel")
    [activity_id] = bot.leadsquared.live_activities()
    message_url = bot.slack.new_response_url(channel_id=CHANNEL, user_id=USER)
    assert _click(bot, "logsale_undo", _undo_value(announcement), USER, message_url).status_code == 200
    [edit] = bot.slack.wait_for("response_url", predicate=lambda c: c.args.get("replace_original") is True)
    assert "undone by" in json.dumps(edit.args) and f"<@{USER}>" in json.dumps(edit.args)
    assert bot.leadsquared.live_activities() == {}
    note = bot.leadsquared.activities[activity_id].get("CancelNote", "")
    assert USER in note
    # History shows it as undone.
    response, _ = bot.slash("history")
    assert "undone" in response.text


def test_undo_by_someone_else_is_refused_but_an_admin_may(bot):
    bot.log_sale()
    [announcement] = bot.wait_for_response("in_channel")
    other_url = bot.slack.new_response_url(channel_id=CHANNEL, user_id="U0OTHER")
    _click(bot, "logsale_undo", _undo_value(announcement), "U0OTHER", other_url)
    [no] = bot.slack.wait_for("response_url", predicate=lambda c: c.url.endswith(other_url.rsplit("/", 1)[1]))
    assert "Only" in json.dumps(no.args) and no.args.get("response_type") == "ephemeral"
    assert len(bot.leadsquared.live_activities()) == 1
    admin_url = bot.slack.new_response_url(channel_id=CHANNEL, user_id="U0ADMIN")
    _click(bot, "logsale_undo", _undo_value(announcement), "U0ADMIN", admin_url)
    bot.slack.wait_for("response_url", predicate=lambda c: c.args.get("replace_original") is True)
    assert bot.leadsquared.live_activities() == {}


def test_history_shows_my_last_ten_sales_only(bot):
    for n in range(11):
        bot.log_sale(revenue=str(100 + n))
    bot.wait_for_response("in_channel", count=11, timeout=30)
    bot.open_modal(user_id="U0OTHER")
    response, _ = bot.slash("history")
    text = response.text
    assert "last 10 sales" in text
    assert "110" in text and "101" in text and "| 100 |" not in text and " 100 " not in text
    [activity_id] = list(bot.leadsquared.live_activities())[-1:]
    assert activity_id in text
    other, _ = bot.slash("history", user_id="U0OTHER")
    assert "haven't logged any sales" in other.text


def test_only_allowed_users_may_log(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS="U0OTHER, priya@acme.in")
    bot.open_modal()  # Priya is allowed by her email
    response, url = bot.slash(user_id="U0ADMIN")
    assert response.status_code == 200
    said = response.text + json.dumps([c.args for c in bot.slack.calls_to("response_url")])
    if "not on the list" not in said:  # decided after users.info: arrives through response_url
        [no] = bot.slack.wait_for("response_url", predicate=lambda c: c.url.endswith(url.rsplit("/", 1)[1]))
        said = json.dumps(no.args)
    assert "not on the list" in said
    assert len(bot.slack.calls_to("views.open")) == 1


def test_a_sku_or_channel_called_payload_works_end_to_end(bot):
    view = bot.open_modal("PAYLOAD-X won 500", channel_id="C0PAYLOAD", channel_name="payload-team")
    assert initial(view, "product_sku") == "PAYLOAD-X"
    assert bot.submit(view, product_sku="PAYLOAD-X").status_code == 200
    bot.wait_for_response("in_channel")
    [body] = bot.leadsquared.live_activities().values()
    assert body["ProductSku"] == "PAYLOAD-X"
