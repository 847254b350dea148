"""Work-arounds for slack-bolt bugs. Each names how to tell when it can go.

parse_body: Bolt 1.30 treats ANY form body that contains the substring "payload" as an
interactivity payload, so a slash command typed in #payload-team, by a user called
payload, or with text "PAYLOAD-X" parses to {} and gets a 404. Real interactivity bodies
are exactly one form field named "payload"; everything else is a plain form. Remove this
patch when slack_bolt.request.internals.parse_body checks for the `payload` *field*
(tests/dispatch/test_payload_substring.py fails loudly if the patch stops applying).

parse_for_bolt: bot/web.py parses each body to check its shape before Bolt sees it; Bolt then
parses the same text again (about 0.13 ms for a submission, a tenth of what a bare Bolt app
spends on a request). The first parse is handed to Bolt's, on the same thread, once.

form fields: urllib's parse_qsl percent-decodes in Python, one step per "%XX"; a submission's
payload holds about 900 of them (0.14 ms a request, most of a bare Bolt app's own parse). Text of
the shape Slack sends is decoded in C instead, with the same result; anything else goes to urllib.
"""

from __future__ import annotations

import binascii
import json
import re
import threading
from typing import Any
from urllib.parse import unquote

import slack_bolt.request.request as bolt_request_module
from slack_bolt.request import internals

_handed = threading.local()


def parse_for_bolt(body: str, content_type: str | None) -> dict[str, Any]:
    """parse_body, whose answer Bolt's next parse of the same text on this thread reuses."""
    parsed = parse_body(body, content_type)
    _handed.entry = (body, content_type, parsed)
    return parsed


def _bolt_parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    entry = getattr(_handed, "entry", None)
    _handed.entry = None  # once: a later request with the same text gets its own dict
    # Only whether it is JSON matters to parse_body (Bolt drops "; charset=..." itself).
    same_kind = entry is not None and (entry[1] == "application/json") == (content_type == "application/json")
    if same_kind and entry[0] == body:
        return entry[2]
    return parse_body(body, content_type)


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return _json_object(body)
    params = form_fields(body)
    if "payload" in params:
        return _json_object(params["payload"])
    return params


def form_fields(body: str) -> dict[str, str]:
    """dict(parse_qsl(body, keep_blank_values=True)): the same pairs, the last of a repeated name."""
    fields = {}
    for pair in body.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields[_unquote_form_text(name)] = _unquote_form_text(value)
    return fields


_MALFORMED_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _unquote_form_text(text: str) -> str:
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii() and "=" not in text and _MALFORMED_ESCAPE.search(text) is None:
        # Quoted-printable's only special sequence is "=" (+ two hex digits, or a line end): with
        # no "=" of its own and every "%" followed by two hex digits, each "%XX" made "=XX" is
        # decoded exactly as urllib decodes "%XX", and every other character is kept as it is.
        return binascii.a2b_qp(text.replace("%", "=")).decode("utf-8", "replace")
    return unquote(text)  # urllib's rules for the rest (a stray "%", non-ASCII text)


def _json_object(text: str) -> dict[str, Any]:
    # Bolt would raise here and the server answer 500; a malformed body is no request: {} -> 404.
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def apply() -> None:
    internals.parse_body = _bolt_parse_body
    # BoltRequest imported the function by name; patch where it is looked up.
    bolt_request_module.parse_body = _bolt_parse_body
