"""Socket Mode (`python -m bot run` with SLACK_APP_TOKEN) hands Slack's requests to the same
App as HTTP, unsigned, through Bolt's Socket Mode adapter: the listeners still find what they
use in their context."""

from __future__ import annotations

import json
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


def test_logsale_history_over_socket_mode_lists_the_users_sale(in_process_bot):
    in_process_bot.services.outbox.enqueue(factories.submission("T1:V1", user_id="U123"))
    body = sr.slash_command_body(text="history", trigger_id="1.2.3", response_url="https://hooks.slack.com/x")
    answer = over_socket_mode(in_process_bot, "slash_commands", dict(parse_qsl(body)))
    assert "Your last sale" in json.dumps(answer)
    assert "SKU-PRO" in json.dumps(answer)


def test_lead_search_over_socket_mode_finds_the_lead(in_process_bot):
    payload = sr.block_suggestion_payload(action_id="lead", block_id="lead", value="Asha")
    answer = over_socket_mode(in_process_bot, "interactive", payload)
    assert [o["value"] for o in answer["options"]] == [in_process_bot.lead_id]
    assert "Asha Rao" in answer["options"][0]["text"]["text"]
