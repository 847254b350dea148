"""Malformed input answers 4xx, never 5xx, before and after the signature check — sent as raw
bytes to the real server — and what it makes us log stays one short, safe line."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import slack_requests as sr
from tests.e2e.conftest import SIGNING_SECRET, USER
from tests.e2e.raw_http import request_bytes, send, signed_form, signed_headers, signed_payload

SLASH = sr.slash_command_body(trigger_id="1.2.abc", response_url="https://hooks.slack.com/commands/T1/2/x")
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the whole module: these requests must not change its state."""
    from tests.e2e.conftest import BOT_TOKEN, deployment_env
    from tests.e2e.server import start_server
    from tests.standins.leadsquared import LeadSquaredStandIn
    from tests.standins.slack import SlackStandIn

    tmp = tmp_path_factory.mktemp("malformed")
    with SlackStandIn(bot_token=BOT_TOKEN) as slack, LeadSquaredStandIn("ak-malformed", "sk-malformed") as lsq:
        slack.add_user(USER, email="priya@acme.in", tz="Asia/Kolkata")
        env = deployment_env(slack, lsq, f"sqlite:///{tmp / 'logsale.db'}")
        env.update(LEADSQUARED_ACCESS_KEY="ak-malformed", LEADSQUARED_SECRET_KEY="sk-malformed")
        process = start_server(env, tmp / "server.log")
        yield process
        process.stop()
        assert " 500 " not in process.logs() and "Traceback" not in process.logs()


def test_a_body_that_is_not_utf8_is_a_400_signed_or_not(server):
    body = b"token=x&text=\xff\xfe\xc3(&user_id=U1"
    assert send(server.url, request_bytes(body, {"Content-Type": "application/x-www-form-urlencoded"}))[0] == 400
    assert send(server.url, request_bytes(body, signed_headers(SIGNING_SECRET, body)))[0] == 400
    json_body = b'{"type": "view_submission", "x": "\xed\xa0\x80"}'  # a lone surrogate, as UTF-8 bytes
    headers = signed_headers(SIGNING_SECRET, json_body, content_type="application/json")
    assert send(server.url, request_bytes(json_body, headers))[0] == 400


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "-5", " 1", "9" * 5000, "", "１２３", "0x10"])
def test_a_timestamp_that_is_not_a_number_is_a_401(server, timestamp):
    body = SLASH.encode()
    status, _ = send(server.url, request_bytes(body, signed_headers(SIGNING_SECRET, body, timestamp=timestamp)))
    assert status == 401


@pytest.mark.parametrize(
    "length, body, expected",
    [
        ("abc", b"x", 400),  # gunicorn's own answer
        ("-1", b"x", 400),
        (str(50 * 1024 * 1024), b"x", 413),
    ],
)
def test_a_lying_content_length_is_a_4xx(server, length, body, expected):
    status, _ = send(server.url, request_bytes(body, signed_headers(SIGNING_SECRET, body), length=length))
    assert status == expected


def test_a_body_cut_short_is_a_4xx(server):
    body = SLASH.encode()
    data = request_bytes(body, signed_headers(SIGNING_SECRET, body), length=str(len(body) + 100))
    status, _ = send(server.url, data, shut_write=True)
    assert status == 400, status  # answered: the body is shorter than announced


@pytest.mark.parametrize(
    "payload",
    [
        {"view": {"callback_id": "logsale", "state": {"values": {}}}},  # a view without type
        {"type": "view_submission", "user": {"id": USER}},  # no view
        {"type": "view_submission", "user": {"id": USER}, "view": "logsale"},
        {"type": "view_submission", "user": {"id": USER}, "view": {"callback_id": ["logsale"]}},
        {"type": "view_submission", "user": [USER], "view": {"callback_id": "logsale"}},
        {"type": "view_submission", "user": {"id": 7}, "view": {"callback_id": "logsale"}},
        {"type": "view_submission", "user": {"id": USER}, "team": 5, "view": {"callback_id": "logsale"}},
        {"type": "view_submission", "user": {"id": USER}, "enterprise": 5, "view": {"callback_id": "logsale"}},
        {"type": "block_actions", "user": {"id": USER}, "actions": {}},
        {"type": "block_actions", "user": {"id": USER}, "actions": [None]},
        {"type": "block_actions", "user": {"id": USER}, "actions": []},
        {"type": "block_actions", "user": {"id": USER}, "actions": [{"action_id": 5}], "channel": 3},
        {"type": "block_suggestion", "user": {"id": USER}, "action_id": ["lead"], "value": "asha"},
        {"type": "block_suggestion", "user": {"id": USER}, "action_id": "lead", "value": {"a": 1}},
        {"type": "event_callback", "event": "app_home_opened"},
        {"type": "event_callback", "authorizations": [1, 2]},
        {"type": 12},
        {"type": None, "user": None},
        {},
    ],
)
def test_a_signed_payload_of_the_wrong_shape_is_a_4xx(server, payload):
    status, body = signed_payload(server.url, SIGNING_SECRET, payload)
    assert 400 <= status < 500, body


@pytest.mark.parametrize(
    "body",
    ["payload=", "payload=%7B", "payload=%5B1%2C2%5D", "payload=" + "%5B" * 5000, "payload=null", "a=%FF%FE&b", "=&&="],
)
def test_a_signed_form_that_is_not_a_payload_is_a_4xx(server, body):
    assert 400 <= signed_form(server.url, SIGNING_SECRET, body)[0] < 500


@FUZZ
@given(body=st.binary(max_size=400), signed=st.booleans(), json_type=st.booleans())
def test_any_bytes_get_a_4xx_or_a_normal_answer_never_a_5xx(server, body, signed, json_type):
    content_type = "application/json" if json_type else "application/x-www-form-urlencoded"
    headers = (
        signed_headers(SIGNING_SECRET, body, content_type=content_type) if signed else {"Content-Type": content_type}
    )
    status, answer = send(server.url, request_bytes(body, headers))
    assert 200 <= status < 500, answer


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
    max_leaves=8,
)
slack_keys = st.sampled_from(
    ["type", "user", "team", "enterprise", "view", "actions", "channel", "container", "event", "action_id",
     "value", "response_url", "trigger_id", "message", "authorizations", "is_enterprise_install"]
)  # fmt: skip


@FUZZ
@given(
    kind=st.sampled_from(["view_submission", "block_actions", "block_suggestion", "view_closed", "shortcut"]),
    extra=st.dictionaries(slack_keys, json_values, max_size=4),
)
def test_any_signed_payload_shape_is_never_a_5xx(server, kind, extra):
    payload = {"type": kind, "user": {"id": USER}, **extra}
    status, answer = signed_payload(server.url, SIGNING_SECRET, payload)
    assert 200 <= status < 500, (payload, answer)


def test_a_megabyte_time_zone_is_not_logged_and_no_line_is_forged(server):
    metadata = json.dumps({"tz": "A" * 1_000_000, "locale": "en\nFORGED-LINE", "channel_id": "C0\x1b[2J"})
    state = {
        "lead": {"lead": sr.plain_text_state("")},
        "status": {"status": sr.static_select_state("Won\nFORGED-LINE")},
    }
    payload = sr.view_submission_payload(values=state, view_id="VHUGE00001", private_metadata=metadata, user_id=USER)
    status, answer = signed_payload(server.url, SIGNING_SECRET, payload)
    assert status == 200 and json.loads(answer)["response_action"] == "errors"
    time.sleep(0.3)
    lines = server.logs().splitlines()
    assert max(len(line) for line in lines) < 10_000
    assert not any(line.startswith("FORGED") for line in lines)


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/collect", "http://hooks.slack.com/commands/T1/2/x", "https://hooks.slack.com.evil.io/x"],
)
def test_a_response_url_that_is_not_slacks_is_refused_before_anything_posts_to_it(server, url):
    body = sr.slash_command_body(trigger_id="1.2.abc", response_url=url, user_id=USER)
    assert signed_form(server.url, SIGNING_SECRET, body)[0] == 400
    payload = sr.block_actions_payload(
        action_id="logsale_undo", value="1", user_id=USER, trigger_id="1.2.a", response_url=url
    )
    assert signed_payload(server.url, SIGNING_SECRET, payload)[0] == 400
