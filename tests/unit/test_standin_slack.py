"""The Slack stand-in works with the real slack_sdk clients, and the request helpers with real Bolt."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests import slack_requests as sr
from tests.standins.slack import BOT_ID, BOT_USER_ID, TEAM_ID, SlackStandIn

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"


def modal(title: str = "Log a sale", n_blocks: int = 1, **extra) -> dict:
    blocks = [
        {
            "type": "input",
            "block_id": f"b{i}",
            "label": {"type": "plain_text", "text": f"Field {i}"},
            "element": {"type": "plain_text_input", "action_id": "a"},
        }
        for i in range(n_blocks)
    ]
    view = {
        "type": "modal",
        "callback_id": "logsale",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
        "private_metadata": json.dumps({"channel_id": "C123"}),
    }
    view.update(extra)
    return view


@pytest.fixture
def slack():
    with SlackStandIn(bot_token=TOKEN) as standin:
        standin.add_user("U123", email="priya@example.com")
        standin.add_channel("C123", "sales")
        standin.add_channel("C999", "general", bot_is_member=False)
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.api_url)


def error_of(exc_info: pytest.ExceptionInfo[SlackApiError]) -> str:
    return exc_info.value.response["error"]


# ----------------------------------------------------------------------------- auth
def test_auth_test_answers_like_slack(slack: SlackStandIn, client: WebClient) -> None:
    resp = client.auth_test()
    assert resp.status_code == 200
    assert resp["team_id"] == TEAM_ID == "T0TEST"
    assert resp["user_id"] == BOT_USER_ID
    assert resp["bot_id"] == BOT_ID
    assert resp["team"] and resp["url"].startswith("https://")
    (call,) = slack.calls_to("auth.test")
    assert call.token == TOKEN
    assert call.path == "/api/auth.test"
    assert slack.api_url.startswith("http://127.0.0.1:") and slack.api_url.endswith("/api/")


def test_wrong_or_missing_token(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as bad:
        WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert error_of(bad) == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack.api_url).auth_test()
    assert error_of(missing) == "not_authed"
    assert [c.token for c in slack.calls_to("auth.test")] == ["xoxb-wrong", None]


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("sales.teleport")
    assert error_of(exc) == "unknown_method"


# ----------------------------------------------------------------------------- views
def test_views_open_returns_view_and_records_decoded_args(slack: SlackStandIn, client: WebClient) -> None:
    trigger = slack.new_trigger_id()
    resp = client.views_open(trigger_id=trigger, view=modal())
    view = resp["view"]
    assert view["id"].startswith("V") and view["hash"]
    assert view["root_view_id"] == view["id"] and view["previous_view_id"] is None
    assert view["callback_id"] == "logsale" and view["title"]["text"] == "Log a sale"
    assert view["team_id"] == TEAM_ID and view["state"] == {"values": {}}
    assert [b["block_id"] for b in view["blocks"]] == ["b0"]
    (call,) = slack.calls_to("views.open")
    assert call.content_type.startswith("application/json")  # slack_sdk sends views.* as JSON
    assert call.args["trigger_id"] == trigger
    assert call.args["view"]["callback_id"] == "logsale"  # an object, not a JSON string
    assert slack.views[view["id"]]["hash"] == view["hash"]


def test_views_open_form_body_is_normalised(slack: SlackStandIn, client: WebClient) -> None:
    trigger = slack.new_trigger_id()
    client.api_call("views.open", params={"trigger_id": trigger, "view": json.dumps(modal())})
    (call,) = slack.calls_to("views.open")
    assert call.content_type == "application/x-www-form-urlencoded"
    assert isinstance(call.args["view"], dict) and call.args["view"]["type"] == "modal"
    assert call.ok


def test_trigger_id_rules(slack: SlackStandIn, client: WebClient) -> None:
    trigger = slack.new_trigger_id()
    assert trigger.count(".") == 2 and trigger.split(".")[0].isdigit()
    client.views_open(trigger_id=trigger, view=modal())
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger, view=modal())
    assert error_of(reused) == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as old:
        client.views_open(trigger_id=slack.new_trigger_id(age=3.5), view=modal())
    assert error_of(old) == "expired_trigger_id"
    with pytest.raises(SlackApiError) as unknown:
        client.views_open(trigger_id="12345.98765.abcdef", view=modal())
    assert error_of(unknown) == "invalid_trigger_id"


def test_trigger_expires_after_three_seconds_of_real_time(slack: SlackStandIn, client: WebClient) -> None:
    slack.trigger_ttl = 0.2
    trigger = slack.new_trigger_id()
    time.sleep(0.3)
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=trigger, view=modal())
    assert error_of(exc) == "expired_trigger_id"


@pytest.mark.parametrize(
    ("view", "pointer"),
    [
        (modal(title="Log a sale for a customer"), "/view/title/text"),  # 25 chars
        (modal(n_blocks=101), "/view/blocks"),
        (modal(submit=None), "/view"),  # input blocks need submit
        (modal(callback_id="x" * 256), "/view/callback_id"),
        (modal(private_metadata="x" * 3001), "/view/private_metadata"),
        (
            modal(
                blocks=[
                    {
                        "type": "input",
                        "block_id": "amount",
                        "label": {"type": "plain_text", "text": "Amount"},
                        "element": {"type": "number_input", "action_id": "v"},
                    }
                ]
            ),
            "/view/blocks/0/element",
        ),
        (
            modal(
                blocks=[
                    {
                        "type": "input",
                        "block_id": "product",
                        "label": {"type": "plain_text", "text": "Product"},
                        "element": {
                            "type": "static_select",
                            "action_id": "v",
                            "options": [
                                {"text": {"type": "plain_text", "text": f"P{i}"}, "value": str(i)} for i in range(101)
                            ],
                        },
                    }
                ]
            ),
            "/view/blocks/0/element/options",
        ),
    ],
)
def test_views_open_validates_like_slack(slack: SlackStandIn, client: WebClient, view, pointer) -> None:
    trigger = slack.new_trigger_id()
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=trigger, view=view)
    assert error_of(exc) == "invalid_arguments"
    messages = exc.value.response["response_metadata"]["messages"]
    assert any(f"[json-pointer:{pointer}]" in m for m in messages), messages
    # an invalid view does not burn the trigger
    client.views_open(trigger_id=trigger, view=modal())


def test_views_update_hash_and_external_id(slack: SlackStandIn, client: WebClient) -> None:
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=modal(external_id="sale-1"))["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(title="Saved"))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert updated["title"]["text"] == "Saved"
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(title="Again"))
    assert error_of(stale) == "hash_conflict"
    by_external = client.views_update(external_id="sale-1", view=modal(title="By external id"))
    assert by_external["view"]["id"] == opened["id"]
    with pytest.raises(SlackApiError) as missing:
        client.views_update(view_id="VNOPE", view=modal())
    assert error_of(missing) == "not_found"


def test_views_push_stack_of_three(slack: SlackStandIn, client: WebClient) -> None:
    root = client.views_open(trigger_id=slack.new_trigger_id(), view=modal())["view"]
    second = client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=modal(title="Two"))
    assert second["view"]["root_view_id"] == root["id"]
    assert second["view"]["previous_view_id"] == root["id"]
    client.views_push(trigger_id=slack.new_trigger_id(view_id=second["view"]["id"]), view=modal(title="3"))
    assert len(slack.view_stack(root["id"])) == 3
    with pytest.raises(SlackApiError) as exc:
        client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=modal(title="4"))
    assert error_of(exc) == "push_limit_reached"


# ----------------------------------------------------------------------------- users
def test_users_info_tz_locale_email(slack: SlackStandIn, client: WebClient) -> None:
    slack.add_user("U777", email="sam@example.com", tz="America/New_York", locale="en-US", name="sam")
    user = client.users_info(user="U777", include_locale=True)["user"]
    assert user["id"] == "U777" and user["name"] == "sam" and user["real_name"] == "Priya Shah"
    assert user["tz"] == "America/New_York"
    expected = datetime.now(ZoneInfo("America/New_York")).utcoffset().total_seconds()
    assert user["tz_offset"] == expected
    assert user["tz_label"] in ("Eastern Standard Time", "Eastern Daylight Time")
    assert user["locale"] == "en-US"
    assert user["profile"]["email"] == "sam@example.com"
    assert {"real_name", "display_name"} <= set(user["profile"])

    without_locale = client.users_info(user="U123")["user"]
    assert "locale" not in without_locale
    assert without_locale["tz_offset"] == 19800 and without_locale["tz_label"] == "India Standard Time"
    call = slack.calls_to("users.info")[0]
    assert call.args == {"user": "U777", "include_locale": "1"}  # slack_sdk: query string, bool as "1"

    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="UNOBODY")
    assert error_of(exc) == "user_not_found"


def test_users_info_deleted_user_and_missing_email_scope(slack: SlackStandIn, client: WebClient) -> None:
    slack.add_user("U9", email="gone@example.com", deleted=True)
    slack.email_scope = False
    user = client.users_info(user="U9")["user"]
    assert user["deleted"] is True and "email" not in user["profile"]


# ----------------------------------------------------------------------------- chat & conversations
def test_chat_post_message_rules(slack: SlackStandIn, client: WebClient) -> None:
    resp = client.chat_postMessage(channel="C123", text="Sale logged", blocks=[{"type": "divider"}])
    assert resp["channel"] == "C123" and resp["ts"] and resp["message"]["bot_id"] == BOT_ID
    (call,) = slack.calls_to("chat.postMessage")
    assert call.args["blocks"] == [{"type": "divider"}]

    with pytest.raises(SlackApiError) as not_member:
        client.chat_postMessage(channel="C999", text="hi")
    assert error_of(not_member) == "not_in_channel"
    with pytest.raises(SlackApiError) as unknown:
        client.chat_postMessage(channel="CUNKNOWN", text="hi")
    assert error_of(unknown) == "channel_not_found"
    with pytest.raises(SlackApiError) as empty, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="C123", text="")
    assert error_of(empty) == "no_text"

    slack.chat_write_public = True
    assert client.chat_postMessage(channel="C999", text="hi")["ok"]


def test_dm_by_user_id_matches_conversations_open(slack: SlackStandIn, client: WebClient) -> None:
    dm = client.conversations_open(users="U123")
    assert dm["channel"]["id"].startswith("D") and "already_open" not in dm
    posted = client.chat_postMessage(channel="U123", text="Your sale was saved")
    assert posted["channel"] == dm["channel"]["id"]
    again = client.conversations_open(users="U123")
    assert again["channel"]["id"] == dm["channel"]["id"] and again["already_open"] is True
    assert client.chat_postMessage(channel=dm["channel"]["id"], text="again")["ok"]
    with pytest.raises(SlackApiError) as exc:
        client.conversations_open(users="UNOBODY")
    assert error_of(exc) == "user_not_found"


def test_chat_update_and_ephemeral(slack: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C123", text="Saving…")
    updated = client.chat_update(channel="C123", ts=posted["ts"], text="Saved ✅")
    assert updated["ts"] == posted["ts"] and updated["text"] == "Saved ✅"
    assert [m["text"] for m in slack.messages if m["ts"] == posted["ts"]] == ["Saved ✅"]
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel="C123", ts="1.000000", text="x")
    assert error_of(exc) == "message_not_found"

    eph = client.chat_postEphemeral(channel="C123", user="U123", text="only you")
    assert eph["message_ts"]
    slack.add_channel("C555", "secret-deals", user_not_in_channel=True)
    with pytest.raises(SlackApiError) as not_there:
        client.chat_postEphemeral(channel="C555", user="U123", text="only you")
    assert error_of(not_there) == "user_not_in_channel"


# ----------------------------------------------------------------------------- knobs
def test_fail_next_ratelimited_is_http_429_with_retry_after(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("users.info", "ratelimited")
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U123")
    assert exc.value.response.status_code == 429
    assert error_of(exc) == "ratelimited"
    assert exc.value.response.headers["Retry-After"] == "1"
    assert client.users_info(user="U123")["ok"]  # only the next one failed


def test_fail_next_count_and_retry_handler(slack: SlackStandIn) -> None:
    slack.retry_after = 0
    slack.fail_next("chat.postMessage", "ratelimited", count=2)
    retrying = WebClient(
        token=TOKEN, base_url=slack.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    assert retrying.chat_postMessage(channel="C123", text="hi")["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]


def test_fail_next_any_error(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("views.open", "internal_error")
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=slack.new_trigger_id(), view=modal())
    assert error_of(exc) == "internal_error" and exc.value.response.status_code == 200


def test_delay_knob(slack: SlackStandIn, client: WebClient) -> None:
    slack.delay = 0.3
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.3
    slack.delay = 0
    slack.method_delays["users.info"] = 0.2
    started = time.monotonic()
    client.users_info(user="U123")
    assert time.monotonic() - started >= 0.2


# ----------------------------------------------------------------------------- response_url
def test_response_url_accepts_five_posts(slack: SlackStandIn) -> None:
    url = slack.new_response_url()
    assert url.startswith(slack.base_url + "/response/")
    hook = WebhookClient(url)
    for i in range(5):
        resp = hook.send(text=f"update {i}", response_type="ephemeral")
        assert (resp.status_code, resp.body) == (200, "ok")
    sixth = hook.send(text="one too many")
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert slack.response_url_posts(url) == 5
    posts = slack.calls_to("response_url")
    assert [c.args["text"] for c in posts[:2]] == ["update 0", "update 1"]
    assert posts[0].url == url and posts[0].token is None


def test_response_url_failures(slack: SlackStandIn) -> None:
    url = slack.new_response_url()
    slack.expire_response_url(url)
    assert WebhookClient(url).send(text="late").body == "expired_url"

    fresh = slack.new_response_url()
    slack.response_url_ttl = 0.1
    time.sleep(0.2)
    assert WebhookClient(fresh).send(text="late").status_code == 404
    slack.response_url_ttl = 1800

    ok_url = slack.new_response_url()
    slack.fail_next("response_url", "ratelimited")
    assert WebhookClient(ok_url).send(text="x").status_code == 429
    slack.response_url_failure = (500, "internal_error")
    assert WebhookClient(ok_url).send(text="x").status_code == 500
    slack.response_url_failure = None
    assert WebhookClient(ok_url).send(text="x").status_code == 200
    assert WebhookClient(ok_url).send_dict({"response_type": "in_channel"}).body == "no_text"
    assert WebhookClient(slack.base_url + "/response/never-issued").send(text="x").body == "no_service"


# ----------------------------------------------------------------------------- wait_for
def test_wait_for_blocks_until_calls_arrive(slack: SlackStandIn, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.2)
        client.chat_postMessage(channel="C123", text="first")
        client.chat_postMessage(channel="C123", text="second")

    worker = threading.Thread(target=later)
    worker.start()
    calls = slack.wait_for("chat.postMessage", count=2, timeout=5)
    worker.join()
    assert [c.args["text"] for c in calls] == ["first", "second"]
    assert calls[0].time <= calls[1].time
    only = slack.wait_for("chat.postMessage", predicate=lambda c: c.args["text"] == "second")
    assert len(only) == 1


def test_wait_for_times_out_with_what_did_arrive(slack: SlackStandIn, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError) as exc:
        slack.wait_for("views.open", timeout=0.2)
    assert "views.open" in str(exc.value) and "auth.test" in str(exc.value)


# ----------------------------------------------------------------------------- signing
def test_sign_matches_slack_known_answer_vector() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sr.sign("8f742231b10e8888abcd99yyyzzz85a5", body, timestamp=1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


def test_sign_agrees_with_slack_sdk_verifier() -> None:
    body = sr.slash_command_body(trigger_id="1.2.ab", response_url="https://example/x")
    headers = sr.sign(SECRET, body)
    assert SignatureVerifier(SECRET).is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


def test_slash_command_body_fields_in_slack_order() -> None:
    body = sr.slash_command_body(text="acme 1200 INR", trigger_id="1.2.ab", response_url="https://r/1")
    assert [pair.split("=")[0] for pair in body.split("&")] == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert "command=%2Flogsale" in body and "text=acme+1200+INR" in body
    assert parse_qs(body)["response_url"] == ["https://r/1"]


# ----------------------------------------------------------------------------- real Bolt
def bolt_request(body: str, *, secret: str = SECRET, content_type="application/x-www-form-urlencoded"):
    return BoltRequest(body=body, headers={**sr.sign(secret, body), "Content-Type": content_type})


@pytest.fixture
def app(slack: SlackStandIn) -> App:
    return App(client=WebClient(token=TOKEN, base_url=slack.api_url), signing_secret=SECRET)


def test_bolt_dispatches_signed_slash_command(slack: SlackStandIn, app: App) -> None:
    seen: dict = {}

    @app.command("/logsale")
    def handle(ack, command, client, respond):
        ack()
        seen.update(command)
        client.views_open(trigger_id=command["trigger_id"], view=modal())
        respond(text="Opening the form…")

    assert len(slack.calls_to("auth.test")) == 1  # App() verified the token against the stand-in
    response_url = slack.new_response_url(channel_id="C123", user_id="U123")
    body = sr.slash_command_body(text="acme 1200", trigger_id=slack.new_trigger_id(), response_url=response_url)
    response = app.dispatch(bolt_request(body))
    assert response.status == 200

    (opened,) = slack.wait_for("views.open")
    assert opened.ok, opened.response
    (posted,) = slack.wait_for("response_url")
    assert posted.url == response_url and posted.args["text"] == "Opening the form…"
    assert seen["text"] == "acme 1200" and seen["channel_id"] == "C123" and seen["team_id"] == TEAM_ID
    assert seen["api_app_id"] == sr.API_APP_ID and seen["is_enterprise_install"] == "false"


def test_bolt_rejects_bad_signature(app: App) -> None:
    body = sr.slash_command_body(trigger_id="1.2.ab", response_url="https://r/1")
    assert app.dispatch(bolt_request(body, secret="not-the-secret")).status == 401
    stale = BoltRequest(
        body=body,
        headers={**sr.sign(SECRET, body, timestamp=int(time.time()) - 600), "Content-Type": "x"},
    )
    assert app.dispatch(stale).status == 401


def test_bolt_dispatches_view_submission(app: App) -> None:
    values = {
        "customer": {"customer": sr.external_select_state("LEAD-42", "Acme Corp")},
        "amount": {"amount": sr.number_state("1250.50")},
        "email": {"email": sr.email_state("buyer@acme.test")},
        "closed_on": {"closed_on": sr.datepicker_state("2024-05-01")},
        "when": {"when": sr.datetimepicker_state(1714550400)},
        "notes": {"notes": sr.plain_text_state(None)},
    }
    payload = sr.view_submission_payload(values=values, private_metadata='{"channel_id": "C123"}')
    got: dict = {}

    @app.view("logsale")
    def handle(ack, view, body):
        got["values"] = view["state"]["values"]
        got["metadata"] = view["private_metadata"]
        got["user"] = body["user"]["id"]
        ack(response_action="errors", errors={"amount": "Amount looks wrong"})

    response = app.dispatch(bolt_request(sr.form_body_for_payload(payload)))
    assert response.status == 200
    assert json.loads(response.body) == {"response_action": "errors", "errors": {"amount": "Amount looks wrong"}}
    assert got["values"]["amount"]["amount"]["value"] == "1250.50"
    assert got["values"]["customer"]["customer"]["selected_option"]["value"] == "LEAD-42"
    assert got["values"]["when"]["when"]["selected_date_time"] == 1714550400
    assert got["metadata"] == '{"channel_id": "C123"}' and got["user"] == "U123"
    assert payload["view"]["type"] == "modal" and payload["response_urls"] == []
    assert [b["block_id"] for b in payload["view"]["blocks"]] == list(values)


def test_bolt_dispatches_block_actions_and_block_suggestion(slack: SlackStandIn, app: App) -> None:
    clicked: list = []

    @app.action("retry_sale")
    def on_click(ack, action, body, respond):
        ack()
        clicked.append((action["value"], body["channel"]["id"], body["message"]["ts"]))
        respond(text="Retrying…", replace_original=True)

    @app.options("customer")
    def on_options(ack, payload):
        ack(options=[{"text": {"type": "plain_text", "text": "Acme Corp"}, "value": "LEAD-42"}])

    url = slack.new_response_url()
    payload = sr.block_actions_payload(
        action_id="retry_sale", value="sale-7", trigger_id=slack.new_trigger_id(), response_url=url
    )
    assert app.dispatch(bolt_request(sr.form_body_for_payload(payload))).status == 200
    (posted,) = slack.wait_for("response_url")
    assert posted.args == {"text": "Retrying…", "replace_original": True}
    assert clicked == [("sale-7", "C123", payload["container"]["message_ts"])]

    suggestion = sr.block_suggestion_payload(action_id="customer", block_id="customer", value="acm")
    response = app.dispatch(bolt_request(sr.form_body_for_payload(suggestion)))
    assert response.status == 200
    assert json.loads(response.body)["options"][0]["value"] == "LEAD-42"


def test_post_signed_reaches_bolt_over_http(slack: SlackStandIn, app: App) -> None:
    @app.command("/logsale")
    def handle(ack):
        ack(text="got it")

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        body = sr.slash_command_body(trigger_id=slack.new_trigger_id(), response_url=slack.new_response_url())
        ok = sr.post_signed(url, body, SECRET)
        assert (ok.status_code, ok.text) == (200, "got it")  # Bolt answers a text-only ack as text/plain
        assert sr.post_signed(url, body, "wrong-secret").status_code == 401
    finally:
        server.shutdown()
        server.server_close()


def home(n_blocks: int = 1) -> dict:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"line {i}"}} for i in range(n_blocks)]
    return {"type": "home", "blocks": blocks}


def test_views_publish_validates_like_slack(slack: SlackStandIn, client: WebClient) -> None:
    published = client.views_publish(user_id="U123", view=home(100))["view"]
    assert published["type"] == "home" and slack.home_of("U123")["id"] == published["id"]
    again = client.views_publish(user_id="U123", view=home(2), hash=published["hash"])["view"]
    assert again["id"] == published["id"] and len(slack.home_of("U123")["blocks"]) == 2
    with pytest.raises(SlackApiError) as stale:
        client.views_publish(user_id="U123", view=home(), hash=published["hash"])
    assert error_of(stale) == "hash_conflict"
    with pytest.raises(SlackApiError) as too_many:
        client.views_publish(user_id="U123", view=home(101))
    assert error_of(too_many) == "invalid_arguments"
    with pytest.raises(SlackApiError) as a_modal:
        client.views_publish(user_id="U123", view=modal())
    assert error_of(a_modal) == "invalid_arguments"
    with pytest.raises(SlackApiError) as nobody:
        client.views_publish(user_id="U404", view=home())
    assert error_of(nobody) == "user_not_found"
    slack.home_tab_enabled = False
    with pytest.raises(SlackApiError) as disabled:
        client.views_publish(user_id="U123", view=home())
    assert error_of(disabled) == "not_enabled"
    assert len(slack.home_of("U123")["blocks"]) == 2  # nothing refused was stored
