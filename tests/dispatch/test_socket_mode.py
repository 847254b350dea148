"""Socket Mode (`python -m bot run` with SLACK_APP_TOKEN) hands Slack's requests to the same
App as HTTP, unsigned, through Bolt's Socket Mode adapter: the listeners still find what they
use in their context."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl

from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import build_app
from tests import factories
from tests import slack_requests as sr


def over_socket_mode(bot, kind: str, payload: dict) -> dict:
    app = build_app(bot.services)  # what bot.__main__.run_socket_mode hands SocketModeHandler
    response = run_bolt_app(app, SocketModeRequest(type=kind, envelope_id="env-1", payload=payload))
    assert response.status == 200
    return json.loads(response.body)


def history(bot) -> str:
    body = sr.slash_command_body(text="history", trigger_id="1.2.3", response_url="https://hooks.slack.com/x")
    return json.dumps(over_socket_mode(bot, "slash_commands", dict(parse_qsl(body))), ensure_ascii=False)


def test_logsale_history_over_socket_mode_lists_the_users_sale(in_process_bot):
    in_process_bot.services.outbox.enqueue(factories.submission("T1:V1", user_id="U123"))
    answer = history(in_process_bot)
    assert "Your last sale" in answer
    assert "SKU-PRO" in answer
    assert "12,000" in answer and "₹" not in answer  # not started: no currency fetched yet


def test_lead_search_over_socket_mode_finds_the_lead(in_process_bot):
    payload = sr.block_suggestion_payload(action_id="lead", block_id="lead", value="Asha")
    answer = over_socket_mode(in_process_bot, "interactive", payload)
    assert [o["value"] for o in answer["options"]] == [in_process_bot.lead_id]
    assert "Asha Rao" in answer["options"][0]["text"]["text"]


def test_started_after_connecting_the_process_posts_tells_and_refreshes_the_home(in_process_bot):
    """Socket Mode builds the services unstarted and starts them once Slack has let it in: then,
    as in an HTTP worker, the account's currency is fetched, a sale is posted, the channel told
    with the revenue in that currency, and its owner's open Home tab shows it posted."""
    bot = in_process_bot
    bot.leadsquared.set_currency("₹", "INR")
    bot.leadsquared.add_user("owner@acme.in")
    services = bot.services
    services.home.opened("U123")  # Priya has her Home tab open

    services.start()
    # Asked once at the start, with nothing queued (a backlog would make the sales go first).
    until(lambda: bot.leadsquared.calls_to("RetrieveSetting"))
    services.outbox.enqueue(factories.submission("T1:V1", user_id="U123", channel_id="C123", prospect_id=bot.lead_id))
    services.dispatcher.wake()

    [told] = bot.slack.wait_for("chat.postMessage", predicate=lambda c: c.args.get("channel") == "C123")
    [activity_id] = bot.leadsquared.live_activities()
    assert activity_id in json.dumps(told.args)
    assert "₹12,000" in json.dumps(told.args, ensure_ascii=False)
    bot.slack.wait_for(
        "views.publish",
        predicate=lambda c: c.args.get("user_id") == "U123" and "*posted*" in json.dumps(c.args.get("view")),
    )
    assert "₹12,000" in history(bot)


def until(condition, timeout: float = 10.0) -> None:
    """Wait for something the process does in the background (not a measure of its speed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "it didn't happen"
        time.sleep(0.02)
