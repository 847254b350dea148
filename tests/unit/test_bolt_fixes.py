"""bot.bolt_fixes.parse_body: only a form whose *field* is "payload" is an interactivity payload."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import slack_bolt.request.request as bolt_request_module
from slack_bolt.request import BoltRequest, internals

from bot import bolt_fixes
from bot.bolt_fixes import parse_body

FORM = "application/x-www-form-urlencoded"


def slash_command(**changes: str) -> dict[str, str]:
    fields = {
        "token": "verification-token",
        "team_id": "T0001",
        "team_domain": "acme",
        "channel_id": "C0123CHAN",
        "channel_name": "sales",
        "user_id": "U0123ABCD",
        "user_name": "priya",
        "command": "/logsale",
        "text": "priya@acme.in SKU-PRO won 12000 yesterday 5pm",
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0001/1234/abcdef",
        "trigger_id": "1234.5678.abcdef",
    }
    fields.update(changes)
    return fields


PAYLOAD_SUBSTRING_CASES = [
    {"text": "PAYLOAD-X won 12000"},
    {"text": "payload=1 priya@acme.in"},
    {"text": 'payload={"type":"block_actions"}'},
    {"channel_name": "payload-team"},
    {"user_name": "payload"},
    {"channel_name": "payload", "user_name": "payload.ops", "text": "payload"},
    {"text": ""},
]

INTERACTIVITY = {
    "type": "view_submission",
    "team": {"id": "T0001", "domain": "acme"},
    "user": {"id": "U0123ABCD", "name": "payload"},
    "view": {
        "id": "V0123",
        "callback_id": "logsale",
        "private_metadata": '{"channel_id":"C0123CHAN"}',
        "state": {"values": {"lead": {"lead": {"type": "plain_text_input", "value": "a&b=c payload=x"}}}},
    },
}


@pytest.mark.parametrize("changes", PAYLOAD_SUBSTRING_CASES)
def test_a_slash_command_mentioning_payload_parses_to_the_whole_form(changes):
    fields = slash_command(**changes)
    assert parse_body(urlencode(fields), FORM) == fields


def test_a_plain_slash_command_parses_to_the_form():
    fields = slash_command()
    assert parse_body(urlencode(fields), FORM) == fields
    assert parse_body(urlencode(fields), None) == fields


def test_an_interactivity_body_parses_to_its_json_payload():
    body = urlencode({"payload": json.dumps(INTERACTIVITY)})
    assert body.startswith("payload=")
    assert parse_body(body, FORM) == INTERACTIVITY
    assert parse_body(body, None) == INTERACTIVITY


def test_json_bodies():
    event = {"type": "event_callback", "event": {"type": "app_mention", "text": "payload=1"}}
    assert parse_body(json.dumps(event), "application/json") == event
    assert parse_body(json.dumps(event), None) == event  # starts with "{"
    challenge = {"type": "url_verification", "challenge": "abc"}
    assert parse_body(json.dumps(challenge), "application/json") == challenge


def test_an_empty_body_is_an_empty_dict():
    assert parse_body("", FORM) == {}
    assert parse_body("", "application/json") == {}


def test_blank_form_values_are_kept():
    assert parse_body("text=&command=%2Flogsale", FORM) == {"text": "", "command": "/logsale"}


@pytest.fixture
def patched(monkeypatch):
    """apply() for one test; monkeypatch puts Bolt's own functions back afterwards."""
    monkeypatch.setattr(internals, "parse_body", internals.parse_body)
    monkeypatch.setattr(bolt_request_module, "parse_body", bolt_request_module.parse_body)
    bolt_fixes.apply()
    assert internals.parse_body is bolt_fixes._bolt_parse_body
    assert bolt_request_module.parse_body is bolt_fixes._bolt_parse_body


@pytest.mark.parametrize("changes", PAYLOAD_SUBSTRING_CASES)
def test_bolt_request_reads_a_slash_command_mentioning_payload(patched, changes):
    fields = slash_command(**changes)
    request = BoltRequest(body=urlencode(fields), headers={"content-type": [FORM]})
    assert request.body == fields
    assert request.context.user_id == "U0123ABCD"
    assert request.context.channel_id == "C0123CHAN"


def test_bolt_request_reads_an_interactivity_payload(patched):
    body = urlencode({"payload": json.dumps(INTERACTIVITY)})
    request = BoltRequest(body=body, headers={"content-type": [FORM]})
    assert request.body == INTERACTIVITY
    assert request.context.user_id == "U0123ABCD"


def test_bolt_request_reads_json(patched):
    event = {"type": "event_callback", "team_id": "T0001", "event": {"type": "app_mention", "user": "U1"}}
    request = BoltRequest(body=json.dumps(event), headers={"content-type": ["application/json"]})
    assert request.body == event


def test_bolt_request_with_a_charset_in_the_content_type(patched):
    fields = slash_command(channel_name="payload-team")
    request = BoltRequest(body=urlencode(fields), headers={"content-type": [FORM + "; charset=utf-8"]})
    assert request.body == fields


def test_apply_is_idempotent(patched):
    bolt_fixes.apply()
    assert internals.parse_body is bolt_fixes._bolt_parse_body
    assert bolt_request_module.parse_body is bolt_fixes._bolt_parse_body


def test_bolt_reuses_the_shape_check_s_parse_of_the_same_body_once(patched):
    body = urlencode({"payload": json.dumps(INTERACTIVITY)})
    checked = bolt_fixes.parse_for_bolt(body, FORM)
    first = BoltRequest(body=body, headers={"content-type": [FORM]})
    again = BoltRequest(body=body, headers={"content-type": [FORM]})
    assert first.body is checked  # not parsed twice
    assert again.body == INTERACTIVITY and again.body is not checked  # a resent request: its own dict


def test_bolt_parses_a_different_body_itself(patched):
    bolt_fixes.parse_for_bolt(urlencode({"payload": json.dumps(INTERACTIVITY)}), FORM)
    fields = slash_command()
    assert BoltRequest(body=urlencode(fields), headers={"content-type": [FORM]}).body == fields
