"""Work-arounds for slack-bolt bugs. Each names how to tell when it can go.

parse_body: Bolt 1.30 treats ANY form body that contains the substring "payload" as an
interactivity payload, so a slash command typed in #payload-team, by a user called
payload, or with text "PAYLOAD-X" parses to {} and gets a 404. Real interactivity bodies
are exactly one form field named "payload"; everything else is a plain form. Remove this
patch when slack_bolt.request.internals.parse_body checks for the `payload` *field*
(tests/dispatch/test_payload_substring.py fails loudly if the patch stops applying).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import slack_bolt.request.request as bolt_request_module
from slack_bolt.request import internals


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return _json_object(body)
    params = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in params:
        return _json_object(params["payload"])
    return params


def _json_object(text: str) -> dict[str, Any]:
    # Bolt would raise here and the server answer 500; a malformed body is no request: {} -> 404.
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def apply() -> None:
    internals.parse_body = parse_body
    # BoltRequest imported the function by name; patch where it is looked up.
    bolt_request_module.parse_body = parse_body
