"""Work-arounds for slack-bolt bugs. Each names how to tell when it can go.

parse_body: Bolt 1.30 treats ANY form body that contains the substring "payload" as an
interactivity payload, so a slash command typed in #payload-team, by a user called
payload, or with text "PAYLOAD-X" parses to {} and gets a 404. Real interactivity bodies
are exactly one form field named "payload"; everything else is a plain form. Remove this
patch when slack_bolt.request.internals.parse_body checks for the `payload` *field*
(tests/dispatch/test_payload_substring.py fails loudly if the patch stops applying).

ack wait: Bolt's request thread waits for the listener's ack() by sleeping 10 ms at a time
(slack_bolt/listener/thread_runner.py), which adds up to 10 ms to every ack and wakes each waiting
request 100 times a second. Its sleep now also ends as soon as any ack() is called (never later
than before: a missed wake-up still ends after 10 ms). Remove when Bolt waits on an event
(tests/unit/test_bolt_fixes.py checks the patch still applies to the names Bolt uses).

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
import time
from typing import Any
from urllib.parse import unquote

import slack_bolt.listener.thread_runner as thread_runner
import slack_bolt.request.request as bolt_request_module
from slack_bolt.context.ack.ack import Ack
from slack_bolt.request import internals

_acked = threading.Condition()


class _AckAwareTime:
    """What thread_runner sees as the time module: its poll for ack() wakes on any ack()."""

    time = staticmethod(time.time)

    @staticmethod
    def sleep(seconds: float) -> None:
        with _acked:
            _acked.wait(seconds)


def _notifying(call):
    def __call__(self, *args, **kwargs):
        try:
            return call(self, *args, **kwargs)
        finally:
            with _acked:
                _acked.notify_all()

    __call__.wakes_ack_waiters = True
    return __call__


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
    thread_runner.time = _AckAwareTime
    if not getattr(Ack.__call__, "wakes_ack_waiters", False):
        Ack.__call__ = _notifying(Ack.__call__)
    internals.parse_body = _bolt_parse_body
    # BoltRequest imported the function by name; patch where it is looked up.
    bolt_request_module.parse_body = _bolt_parse_body
