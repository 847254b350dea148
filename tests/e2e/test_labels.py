"""What was picked is what the channel reads: a lead chosen in the search shows as "Priya Shah
(priya@…)", a product as "SKU · Name", revenue with the account's currency symbol, in the
announcement, /logsale history, the Undo edit and LeadSquared's cancel note; Edit & retry reopens
with the same options. And text from users shows literally, never as Slack markup.

The real server against the stand-ins; the picked option is sent back whole, as Slack does."""

from __future__ import annotations

import json
import uuid

from tests import slack_requests as sr
from tests.e2e.conftest import CHANNEL, SIGNING_SECRET, USER

CREATE = "SalesActivity.svc/Create"


def suggest(bot, block_id: str, typed: str) -> list[dict]:
    payload = sr.block_suggestion_payload(action_id=block_id, block_id=block_id, value=typed, user_id=USER)
    response = sr.post_signed(bot.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)
    assert response.status_code == 200, response.text
    return response.json()["options"]


def pick(options: list[dict], value: str) -> dict:
    return next(o for o in options if o["value"] == value)


def submit_picked(bot, view: dict, lead_option: dict, product_option: dict, revenue: str = "1200000"):
    """Press Log sale with the options as picked: Slack sends each selected_option whole."""
    state = {
        "lead": {"lead": {"type": "external_select", "selected_option": lead_option}},
        "product_sku": {"product_sku": {"type": "external_select", "selected_option": product_option}},
        "status": {"status": sr.static_select_state("Won")},
        "revenue": {"revenue": sr.number_state(revenue)},
        "sales_owner": {"sales_owner": sr.email_state("priya@acme.in")},
        "sales_date": {"sales_date": sr.plain_text_state("2026-11-26 15:00")},
    }
    payload = sr.view_submission_payload(
        values=state,
        view_id=view.get("id") or f"V{uuid.uuid4().hex[:10].upper()}",
        private_metadata=view.get("private_metadata", ""),
        user_id=USER,
    )
    response = sr.post_signed(bot.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)
    assert response.status_code == 200 and not response.text.strip(), response.text
    return response


def texts(message: dict, kind: str) -> list[str]:
    """The texts of one kind ("plain_text" or "mrkdwn") in a message's blocks."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == kind and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks"))
    return found


def _click(bot, action_id: str, value: str, response_url: str):
    payload = sr.block_actions_payload(
        action_id=action_id,
        value=value,
        user_id=USER,
        channel_id=CHANNEL,
        trigger_id=bot.slack.new_trigger_id(),
        response_url=response_url,
    )
    return sr.post_signed(bot.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)


def _button(message: dict, action_id: str) -> str:
    return next(
        e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )


def test_a_picked_lead_and_product_are_named_everywhere_with_the_currency(deploy, leadsquared):
    leadsquared.set_currency("₹", "INR", "Indian Rupee")
    bot = deploy()
    priya = leadsquared.add_lead(first_name="Priya", last_name="Shah", email="priya@buyer.in", phone="9123456780")
    view = bot.open_modal()
    lead_option = pick(suggest(bot, "lead", "priya"), priya)
    product_option = pick(suggest(bot, "product_sku", "pro"), "SKU-PRO")
    assert lead_option["text"]["text"] == "Priya Shah · priya@buyer.in · 9123456780"
    submit_picked(bot, view, lead_option, product_option)

    [announcement] = bot.wait_for_response("in_channel")
    fields = texts(announcement.args, "plain_text")
    # Priya's Slack locale is en-IN: lakh grouping.
    assert "Lead: Priya Shah (priya@buyer.in)" in fields
    assert "Product: SKU-PRO · Pro plan" in fields
    assert "Revenue: ₹12,00,000" in fields
    assert priya not in json.dumps(announcement.args)  # no bare ProspectId
    [body] = leadsquared.live_activities().values()
    assert body["ProspectId"] == priya and body["ProductSku"] == "SKU-PRO" and body["Revenue"] == 1200000

    history, _ = bot.slash("history")
    [line] = [t for t in texts(history.json(), "plain_text") if "Priya" in t]
    assert "Priya Shah (priya@buyer.in) · SKU-PRO · Pro plan · Won · ₹12,00,000 · logged" in line

    [activity_id] = leadsquared.live_activities()
    message_url = bot.slack.new_response_url(channel_id=CHANNEL, user_id=USER)
    assert _click(bot, "logsale_undo", _button(announcement.args, "logsale_undo"), message_url).status_code == 200
    [edit] = bot.slack.wait_for("response_url", predicate=lambda c: c.args.get("replace_original") is True)
    edited = texts(edit.args, "plain_text")
    assert "Lead: Priya Shah (priya@buyer.in)" in edited and "Product: SKU-PRO · Pro plan" in edited
    assert "Revenue: ₹12,00,000" in edited
    note = leadsquared.activities[activity_id]["CancelNote"]
    assert "Priya Shah (priya@buyer.in) · SKU-PRO · Pro plan · Won · ₹12,00,000" in note and USER in note


def test_a_typed_email_is_named_by_leadsquared_and_revenue_has_the_documented_dollar(bot):
    # The stand-in answers RetrieveSetting with LeadSquared's documented sample: "$", "USD".
    bot.log_sale(lead="asha@buyer.in", revenue="12000.5")
    [announcement] = bot.wait_for_response("in_channel")
    fields = texts(announcement.args, "plain_text")
    assert "Lead: Asha Rao (asha@buyer.in)" in fields
    assert "Product: SKU-PRO" in fields  # typed, not picked: the SKU alone
    assert "Revenue: $12,000.50" in fields


def test_without_leadsquared_settings_the_revenue_is_a_plain_number(deploy, leadsquared):
    leadsquared.fail_next("html_404", count=100, path_contains="RetrieveSetting")
    bot = deploy()
    bot.log_sale(revenue="1200000")
    [announcement] = bot.wait_for_response("in_channel")
    assert "Revenue: 12,00,000" in texts(announcement.args, "plain_text")
    assert leadsquared.calls_to("RetrieveSetting")  # it was asked, and the sale didn't wait for it


def test_edit_and_retry_reopens_with_the_picked_options(bot):
    lead_option = pick(suggest(bot, "lead", "asha"), bot.lead_id)
    product_option = pick(suggest(bot, "product_sku", "pro"), "SKU-PRO")
    bot.leadsquared.fail_next("mx_500", path_contains=CREATE)
    submit_picked(bot, bot.open_modal(), lead_option, product_option)
    [failure] = bot.wait_for_response("ephemeral")
    assert "Lead: Asha Rao (asha@buyer.in)" in texts(failure.args, "plain_text")
    fresh_url = bot.slack.new_response_url(channel_id=CHANNEL, user_id=USER)
    _click(bot, "logsale_edit_retry", _button(failure.args, "logsale_edit_retry"), fresh_url)
    [opened] = bot.slack.wait_for("views.open", count=2)[1:]
    blocks = {b.get("block_id"): b for b in opened.args["view"]["blocks"]}
    lead_initial = blocks["lead"]["element"]["initial_option"]
    product_initial = blocks["product_sku"]["element"]["initial_option"]
    assert (lead_initial["text"]["text"], lead_initial["value"]) == (
        "Asha Rao · asha@buyer.in · 9876543210",
        bot.lead_id,
    )
    assert (product_initial["text"]["text"], product_initial["value"]) == ("SKU-PRO · Pro plan", "SKU-PRO")


def test_a_lead_with_markup_in_its_name_is_shown_literally(bot):
    hostile = bot.leadsquared.add_lead(first_name="*Big*", last_name="_Deal_ <!channel> ~x~ `y`", email="big@deal.in")
    lead_option = pick(suggest(bot, "lead", "big@deal.in"), hostile)
    product_option = pick(suggest(bot, "product_sku", "pro"), "SKU-PRO")
    submit_picked(bot, bot.open_modal(), lead_option, product_option)
    [announcement] = bot.wait_for_response("in_channel")
    assert "Lead: *Big* _Deal_ <!channel> ~x~ `y` (big@deal.in)" in texts(announcement.args, "plain_text")
    said_as_mrkdwn = " ".join(texts(announcement.args, "mrkdwn")) + announcement.args["text"]
    for bit in ("Big", "Deal", "channel", "~x~", "`y`"):
        assert bit not in said_as_mrkdwn
