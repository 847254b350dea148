"""/logsale end to end: the happy path, inline errors, escaping, signing, keys."""

from __future__ import annotations

import json
import time

from tests import slack_requests as sr
from tests.e2e.conftest import SECRETS, SIGNING_SECRET


def test_healthz(bot):
    import requests

    assert requests.get(bot.server.url + "/healthz", timeout=5).status_code == 200


def test_logsale_opens_the_modal_prefilled_with_the_users_email(bot):
    view = bot.open_modal()
    assert view["callback_id"] == "logsale"
    assert len(view["title"]["text"]) <= 24
    blocks = {b.get("block_id"): b for b in view["blocks"] if b["type"] == "input"}
    assert list(blocks) == ["lead", "product_sku", "status", "revenue", "sales_owner", "sales_date"]
    assert [o["value"] for o in blocks["status"]["element"]["options"]] == ["Open", "Won", "Lost"]
    assert blocks["sales_owner"]["element"]["initial_value"] == "priya@acme.in"
    # views.open came first, before any other Slack call of this command.
    methods = [c.method for c in bot.slack.calls if c.method not in ("auth.test",)]
    assert methods[0] == "views.open"


def test_a_sale_reaches_leadsquared_and_the_channel_sees_its_id(bot):
    response = bot.log_sale(sales_date="2026-11-26 15:00")
    assert response.status_code == 200 and response.text == ""
    [announcement] = bot.wait_for_response("in_channel")
    [activity_id] = bot.leadsquared.live_activities()
    body = bot.leadsquared.live_activities()[activity_id]
    assert body["ProspectId"] == bot.lead_id
    assert body["Status"] == "Won" and body["ProductSku"] == "SKU-PRO" and body["Revenue"] == 12000
    assert body["SalesOwnerEmail"] == "priya@acme.in"
    assert body["SalesDate"] == "2026-11-26 09:30:00"  # 15:00 IST in UTC
    text = json.dumps(announcement.args)
    assert activity_id in text and "SKU-PRO" in text and "12,000" in text
    assert "Thu 26 Nov 2026, 15:00 IST" in text


def test_email_and_phone_leads_are_resolved_to_the_prospect_id(bot):
    bot.log_sale(lead="asha@buyer.in")
    bot.wait_for_response("in_channel")
    bot.log_sale(lead="+91 98765 43210")
    bot.wait_for_response("in_channel", count=2)
    bodies = list(bot.leadsquared.live_activities().values())
    assert [b["ProspectId"] for b in bodies] == [bot.lead_id, bot.lead_id]
    assert "Asha Rao" in json.dumps(bot.response_posts("in_channel")[0].args)


def test_every_problem_is_an_inline_error_and_nothing_is_sent(bot):
    view = bot.open_modal()
    response = bot.submit(
        view,
        lead="nobody",
        product_sku="",
        status="Maybe",
        revenue="12k",
        sales_owner="not-an-email",
        sales_date="blah",
    )
    errors = response.json()["errors"]
    assert response.json()["response_action"] == "errors"
    assert set(errors) == {"lead", "product_sku", "status", "revenue", "sales_owner", "sales_date"}
    assert "like 1200 or 1200.50" in errors["revenue"]
    assert bot.leadsquared.calls_to("SalesActivity.svc/Create") == []


def test_an_unknown_email_lead_is_an_inline_error_saying_what_was_found(bot):
    response = bot.log_sale(lead="ghost@nowhere.in")
    assert "ghost@nowhere.in" in response.json()["errors"]["lead"]
    assert bot.leadsquared.calls_to("SalesActivity.svc/Create") == []


def test_user_text_is_escaped_in_everything_echoed_to_slack(bot):
    bot.leadsquared.add_product("<!channel>", "evil")
    bot.log_sale(product_sku="<!channel>")
    [announcement] = bot.wait_for_response("in_channel")
    # Shown literally in a plain_text field (Slack parses no markup there), never in mrkdwn.
    blocks = announcement.args["blocks"]
    mrkdwn = [t for b in blocks for t in [b.get("text") or {}] + (b.get("elements") or []) if t.get("type") == "mrkdwn"]
    plain = [f for b in blocks for f in b.get("fields") or [] if f["type"] == "plain_text"]
    assert "Product: <!channel>" in [f["text"] for f in plain]
    assert "channel" not in json.dumps(mrkdwn) + announcement.args["text"]


def test_unsigned_stale_and_forged_requests_get_401(bot):
    body = sr.slash_command_body(trigger_id=bot.slack.new_trigger_id(), response_url=bot.slack.new_response_url())
    import requests

    assert requests.post(bot.server.events_url, data=body, timeout=5).status_code == 401
    stale = sr.post_signed(bot.server.events_url, body, SIGNING_SECRET, timestamp=int(time.time()) - 301)
    assert stale.status_code == 401
    forged = sr.post_signed(bot.server.events_url, body, "not-the-secret")
    assert forged.status_code == 401
    assert bot.slack.calls_to("views.open") == []


def test_keys_never_appear_in_urls_logs_or_messages(bot):
    bot.log_sale()
    bot.wait_for_response("in_channel")
    bot.leadsquared.fail_next("auth_401")
    bot.log_sale()
    bot.wait_for_response("ephemeral")
    said = bot.everything_said()
    for secret in SECRETS:
        assert secret not in said
    for call in bot.leadsquared.calls:
        assert "accessKey" not in call.path and "secretKey" not in json.dumps(call.query)


def test_help_answers_without_a_modal(bot):
    response, _ = bot.slash("help")
    assert "/logsale" in response.text and bot.slack.calls_to("views.open") == []


def test_a_command_mentioning_payload_anywhere_still_works(bot):
    response, _ = bot.slash("PAYLOAD-X", channel_id="C0PAYLOAD", channel_name="payload-team")
    assert response.status_code == 200
    bot.slack.wait_for("views.open")
