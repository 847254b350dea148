"""bot.bolt_fixes.form_fields: the same fields as urllib's parse_qsl for any text, decoded in C for
the text Slack sends (each expected value below is what the sender encoded, not our output)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bolt_fixes import form_fields
from tests import slack_requests as sr

SLACK_FIXTURES = sorted((Path(__file__).parents[1] / "contract" / "slack").glob("*.json"))


def urllib_fields(body: str) -> dict[str, str]:
    return dict(parse_qsl(body, keep_blank_values=True))


def test_a_slash_command_reads_as_typed():
    body = "command=%2Flogsale&text=priya%40acme.in+SKU-PRO+%E2%82%B912%2C000+kal+5%3A30&user_name=priya"
    assert form_fields(body) == {
        "command": "/logsale",
        "text": "priya@acme.in SKU-PRO ₹12,000 kal 5:30",
        "user_name": "priya",
    }


def test_an_interactivity_payload_reads_back_as_the_json_sent():
    payload = {"type": "view_submission", "view": {"private_metadata": '{"a":"b=c&d"}', "title": "Log a sale ✓ 100%"}}
    body = urlencode({"payload": json.dumps(payload)})
    assert json.loads(form_fields(body)["payload"]) == payload


def test_what_urllib_keeps_as_typed_is_kept():
    # A stray "%", a bad escape, a literal "=" or non-ASCII text: urllib's own rules.
    assert form_fields("a=100%&b=%zz&c=x=41%41&d=caf%C3%A9+%E2%82%B9&e=%C3") == {
        "a": "100%",
        "b": "%zz",
        "c": "x=41A",
        "d": "café ₹",
        "e": "\ufffd",  # half a UTF-8 sequence, replaced as urllib does
    }
    assert form_fields("name&&=v&x=1&x=2") == {"name": "", "": "v", "x": "2"}


def test_every_published_slack_body_reads_as_urllib_reads_it():
    for path in SLACK_FIXTURES:
        fixture = json.loads(path.read_text())
        if fixture["kind"] == "form":
            body = urlencode([tuple(pair) for pair in fixture["body"]])
        elif fixture["kind"] == "interactive":
            body = sr.form_body_for_payload(fixture["body"])
        else:
            continue
        assert form_fields(body) == urllib_fields(body), path.name


# Pieces that mean something to either decoder (escapes good and bad, quoted-printable's own
# "=XX" and soft line break), beside plain characters.
_PIECES = ["%", "=", "&", "+", " ", "%41", "%e2%82%b9", "%C3", "%zz", "%4", "=41", "=\n", "=\r\n", "\n", "\r"]
_PIECES += list("aF09gZ\t\x00é₹😀_.")
_TRICKY = st.lists(st.sampled_from(_PIECES), max_size=24).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_TRICKY)
def test_any_text_reads_as_urllib_reads_it(body):
    assert form_fields(body) == urllib_fields(body)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=60)), max_size=6))
def test_any_encoded_form_reads_back_as_the_fields_sent(pairs):
    body = "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in pairs)
    assert form_fields(body) == dict(pairs) == urllib_fields(body)
