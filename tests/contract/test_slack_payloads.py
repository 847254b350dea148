"""Slack's own published payloads (tests/contract/slack/), replayed signed against the real
server (the Procfile's command) talking to the stand-ins: never a 5xx, acknowledged within
Slack's 3 seconds, and the outcome a salesperson expects.

One server serves every fixture (module scope). Before a payload is sent, only what can't be
replayed as captured is substituted, each for a reason:

* ``trigger_id``: a fresh one issued by the stand-in Slack. A trigger_id is valid 3 s and usable
  once, and views.open must be able to use it.
* ``response_url``: a fresh one on the stand-in Slack (same channel and user), so what the bot
  says there is observed instead of being sent to hooks.slack.com.
* ``view.id``: a fresh id per replay. A view_submission is de-duplicated on Slack's view id, and
  the published samples all reuse ``V111``: replayed as is, the second sale would be (rightly)
  taken for a resubmission of the first.
* ``view.private_metadata`` of a view_submission: what our own views.open put there (the channel
  and a response_url on the stand-in). Slack echoes back the app's own value; the samples carry
  another app's ("This is for you!").
* The request timestamp and signature: fresh (Slack signs every request; older than 5 min is refused).

Everything else (ids, names, team/enterprise shapes, nulls) is replayed byte for byte as the
fixture holds it: the stand-ins are given the users, channel, lead and product the payloads name.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest

from bot.slack_ui.modal import ModalContext
from tests import slack_requests as sr
from tests.contract.conftest import SLACK_DIR, load
from tests.e2e.conftest import ACCESS_KEY, BOT_TOKEN, SECRET_KEY, SIGNING_SECRET, deployment_env
from tests.e2e.server import start_server
from tests.standins.leadsquared import LeadSquaredStandIn
from tests.standins.slack import SlackStandIn

# The ProspectID of LeadSquared's own "Get a Lead by Email" sample; the view_submission
# fixtures pick this lead in their external_select.
LEAD_ID = "bd595fc2-3678-4004-9ac6-65bfd1caadb5"
GRID_USER_EMAIL = "primary.owner@acme.in"  # W111's Slack profile email
ACK_LIMIT = 3.0


class World:
    def __init__(self, slack: SlackStandIn, leadsquared: LeadSquaredStandIn, server) -> None:
        self.slack = slack
        self.leadsquared = leadsquared
        self.server = server

    def prepare(self, fixture: dict) -> tuple[str, str, dict]:
        """(body, content type, what was substituted) for one fixture."""
        kind, body = fixture["kind"], copy.deepcopy(fixture["body"])
        ctx: dict = {}
        if kind == "form":
            fields = dict(body)
            for pair in body:
                if pair[0] == "trigger_id":
                    pair[1] = ctx["trigger_id"] = self.slack.new_trigger_id()
                elif pair[0] == "response_url":
                    pair[1] = ctx["response_url"] = self.slack.new_response_url(
                        channel_id=fields.get("channel_id"), user_id=fields.get("user_id")
                    )
            return urlencode([tuple(p) for p in body]), "application/x-www-form-urlencoded", ctx
        if kind == "json":
            return json.dumps(body), "application/json", ctx
        assert kind == "interactive", kind
        channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        user_id = (body.get("user") or {}).get("id")
        if "trigger_id" in body:
            body["trigger_id"] = ctx["trigger_id"] = self.slack.new_trigger_id()
        if "response_url" in body:
            body["response_url"] = ctx["response_url"] = self.slack.new_response_url(
                channel_id=channel_id, user_id=user_id
            )
        view = body.get("view")
        if isinstance(view, dict):
            view["id"] = ctx["view_id"] = f"V{uuid.uuid4().hex[:10].upper()}"
            if body.get("type") == "view_submission":
                ctx["response_url"] = self.slack.new_response_url(channel_id="C111", user_id=user_id)
                view["private_metadata"] = ModalContext(channel_id="C111", response_url=ctx["response_url"]).encode()
        return sr.form_body_for_payload(body), "application/x-www-form-urlencoded", ctx


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("contract-slack")
    slack = SlackStandIn(bot_token=BOT_TOKEN).start()
    # The people and places the published payloads name.
    slack.add_user("W111", email=GRID_USER_EMAIL, name="primary-owner", real_name="Primary Owner")
    slack.add_user("U2CERLKJA", email="roadrunner@acme.in", name="roadrunner", real_name="Road Runner")
    slack.add_user("U123ABC456", email="home.user@acme.in", name="home-user", real_name="Home User")
    slack.add_channel("C111", "random")
    slack.add_channel("G8PSS9T3V", "foobar", is_private=True)
    leadsquared = LeadSquaredStandIn(access_key=ACCESS_KEY, secret_key=SECRET_KEY).start()
    leadsquared.add_user("priya@acme.in", first_name="Priya", last_name="Shah")
    leadsquared.add_user(GRID_USER_EMAIL, first_name="Primary", last_name="Owner")
    leadsquared.add_product("SKU-PRO", "Pro plan")
    leadsquared.add_lead(prospect_id=LEAD_ID, first_name="Nivas", last_name="Ravi", email="nivas@leadsquard.com")
    server = start_server(deployment_env(slack, leadsquared, f"sqlite:///{tmp / 'logsale.db'}"), tmp / "server.log")
    try:
        yield World(slack, leadsquared, server)
    finally:
        server.stop()
        slack.stop()
        leadsquared.stop()


# --------------------------------------------------------------------------- outcomes


def _wait_for_create(world: World, before: int, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        creates = [c for c in world.leadsquared.calls_to("SalesActivity.svc/Create") if c.status == 200]
        if len(creates) > before:
            return creates[before].json
        time.sleep(0.05)
    raise AssertionError(f"LeadSquared received no Create within {timeout}s:\n{world.server.logs()[-3000:]}")


def _sale_stored(owner: str = "priya@acme.in", sales_date: str | None = "2026-11-26 09:30:00"):
    """The form's sale reaches LeadSquared: 15:00 in W111's zone (Asia/Kolkata) is 09:30 UTC."""

    def check(world: World, response, ctx, creates_before: int) -> None:
        assert response.status_code == 200 and response.text == "", response.text
        body = _wait_for_create(world, creates_before)
        want = {
            "ProspectId": LEAD_ID,
            "ProductSku": "SKU-PRO",
            "Status": "Won",
            "Revenue": 12000,
            "SalesOwnerEmail": owner,
        }
        assert {k: body.get(k) for k in want} == want
        if sales_date is not None:
            assert body["SalesDate"] == sales_date
        else:  # empty date field = now
            when = datetime.strptime(body["SalesDate"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
            assert abs((datetime.now(timezone.utc) - when).total_seconds()) < 120
        # The channel is told, through the response_url our modal carried.
        world.slack.wait_for("response_url", predicate=lambda c: c.url == ctx["response_url"])

    return check


def _modal_opened(world: World, response, ctx, creates_before: int) -> None:
    assert response.status_code == 200
    [call] = world.slack.wait_for("views.open", predicate=lambda c: c.args.get("trigger_id") == ctx["trigger_id"])
    assert call.ok, call.response
    assert call.args["view"]["callback_id"] == "logsale"


def _modal_opened_for_the_message(world: World, response, ctx, creates_before: int) -> None:
    """The message shortcut's form knows the message's channel and thread: its sale is
    announced as a reply in that thread."""
    _modal_opened(world, response, ctx, creates_before)
    [call] = world.slack.wait_for("views.open", predicate=lambda c: c.args.get("trigger_id") == ctx["trigger_id"])
    # Read as stored (ModalContext.decode in this process wouldn't trust the stand-in's host).
    context = json.loads(call.args["view"]["private_metadata"])
    assert context["channel_id"] == "C111"
    assert context["thread_ts"] == "1583636382.000300"  # the message's ts: it starts the thread
    assert context["response_url"] == ctx["response_url"]


def _home_published(world: World, response, ctx, creates_before: int) -> None:
    assert response.status_code == 200
    [call] = world.slack.wait_for("views.publish", predicate=lambda c: c.args.get("user_id") == "U123ABC456")
    assert call.ok, call.response
    view = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    assert any(e.get("action_id") == "logsale_open" for b in view["blocks"] for e in b.get("elements") or [])


def _inline_errors(expected: dict[str, str]):
    """The form stays open with these fields explained (block_id -> words in the message); nothing stored."""

    def check(world: World, response, ctx, creates_before: int) -> None:
        assert response.status_code == 200
        answer = response.json()
        assert answer["response_action"] == "errors"
        assert set(answer["errors"]) == set(expected)
        for block_id, words in expected.items():
            assert words in answer["errors"][block_id]

    return check


def _options(expected_value: str, label_part: str):
    def check(world: World, response, ctx, creates_before: int) -> None:
        assert response.status_code == 200
        options = response.json()["options"]
        assert any(o["value"] == expected_value and label_part in o["text"]["text"] for o in options), options

    return check


def _said_to_response_url(text: str):
    def check(world: World, response, ctx, creates_before: int) -> None:
        assert response.status_code == 200
        [call] = world.slack.wait_for("response_url", predicate=lambda c: c.url == ctx["response_url"])
        assert text in call.args.get("text", ""), call.args

    return check


def _no_server_error(world: World, response, ctx, creates_before: int) -> None:
    # Never requested (view_closed: our modal doesn't ask for it), or names no shortcut of ours.
    assert response.status_code < 500


def _ok(world: World, response, ctx, creates_before: int) -> None:
    assert response.status_code == 200


def _challenge_answered(world: World, response, ctx, creates_before: int) -> None:
    assert response.status_code == 200
    assert response.json()["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


EXPECTATIONS = {
    "slash_command_enterprise_grid": _modal_opened,
    "slash_command_private_channel_empty_text": _modal_opened,
    "slash_command_enterprise_grid_empty_text": _modal_opened,
    "view_submission_enterprise_grid": _sale_stored(),
    "view_submission_org_wide_team_null": _sale_stored(),
    "view_submission_slack_connect": _sale_stored(sales_date=None),
    # The owner field came back null: the owner is the email the form showed, the profile's.
    "view_submission_prefilled_value_null": _sale_stored(owner=GRID_USER_EMAIL),
    # Every pre-filled input came back null: what the form showed is logged; the optional date,
    # which may have been cleared on purpose, is not brought back (empty = now).
    "view_submission_prefilled_values_null": _sale_stored(sales_date=None),
    "view_submission_selected_option_null": _inline_errors({"status": "Open, Won or Lost"}),
    "view_submission_external_select_nothing_chosen": _inline_errors({"lead": "who bought"}),
    # Every field present and empty (the Java SDK's sample): each required field is explained.
    "view_submission_every_field_empty": _inline_errors(
        {
            "lead": "who bought",
            "product_sku": "SKU",
            "status": "Open, Won or Lost",
            "revenue": "revenue",
            "sales_owner": "email",
        }
    ),  # fmt: skip
    "block_actions_every_field_empty": _said_to_response_url("can't find that sale"),
    "shortcut_message_every_field_empty": _no_server_error,
    "block_suggestion_lead": _options(LEAD_ID, "Nivas Ravi"),
    "block_suggestion_org_wide_team_null": _options(LEAD_ID, "Nivas Ravi"),
    "block_suggestion_product": _options("SKU-PRO", "Pro plan"),
    "block_actions_edit_retry": _said_to_response_url("isn't one of yours"),
    "block_actions_undo_org_wide_team_null": _said_to_response_url("can't find that sale"),
    "view_closed": _no_server_error,
    "shortcut_global": _modal_opened,
    "shortcut_message": _modal_opened_for_the_message,
    "event_app_home_opened": _home_published,
    "ssl_check": _ok,
    "url_verification": _challenge_answered,
}
FIXTURES = sorted(SLACK_DIR.glob("*.json"))


def test_every_fixture_has_an_expected_outcome():
    assert {p.stem for p in FIXTURES} == set(EXPECTATIONS)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_published_payload_replayed(world: World, path):
    expect = EXPECTATIONS[path.stem]
    body, content_type, ctx = world.prepare(load(path))
    creates_before = len([c for c in world.leadsquared.calls_to("SalesActivity.svc/Create") if c.status == 200])
    started = time.monotonic()
    response = sr.post_signed(world.server.events_url, body, SIGNING_SECRET, content_type=content_type)
    elapsed = time.monotonic() - started
    assert response.status_code < 500, f"{response.status_code} {response.text}\n{world.server.logs()[-3000:]}"
    assert elapsed < ACK_LIMIT, f"acknowledged after {elapsed:.2f}s"
    expect(world, response, ctx, creates_before)
