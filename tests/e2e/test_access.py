"""LOGSALE_ALLOWED_USERS holds on every path, not only the slash command: the real server,
signed requests shaped as Slack sends them, a user who is not on the list."""

from __future__ import annotations

import json
import time

from tests import slack_requests as sr
from tests.e2e.conftest import CHANNEL, SIGNING_SECRET, USER

OUTSIDER = "U0OTHER"  # in the stand-in's directory, never on these lists
SLACK_LIMIT = 3.0
CREATE = "SalesActivity.svc/Create"


def post(bot, payload: dict):
    started = time.monotonic()
    response = sr.post_signed(bot.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)
    return response, time.monotonic() - started


def modal_state(bot) -> dict:
    return {
        "lead": {"lead": sr.external_select_state(bot.lead_id)},
        "product_sku": {"product_sku": sr.external_select_state("SKU-PRO")},
        "status": {"status": sr.static_select_state("Won")},
        "revenue": {"revenue": sr.number_state("12000")},
        "sales_owner": {"sales_owner": sr.email_state("priya@acme.in")},
        "sales_date": {"sales_date": sr.plain_text_state("2026-11-26 15:00")},
    }


def test_the_slash_command_refuses_politely_and_opens_nothing(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS=USER)
    for text in ("", "history", "help"):
        response, _ = bot.slash(text, user_id=OUTSIDER)
        assert response.status_code == 200
        assert "not on the list" in response.json()["text"]
        assert response.json().get("response_type", "ephemeral") == "ephemeral"
    assert bot.slack.calls_to("views.open") == []
    bot.open_modal()  # Priya, on the list by id, still gets her form


def test_a_view_submitted_directly_is_refused_on_its_field_and_nothing_is_queued(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS=USER)
    payload = sr.view_submission_payload(values=modal_state(bot), view_id="VOUTSIDER1", user_id=OUTSIDER)
    response, elapsed = post(bot, payload)
    assert response.status_code == 200 and elapsed < SLACK_LIMIT
    ack = response.json()
    assert ack["response_action"] == "errors"
    [(block_id, message)] = ack["errors"].items()
    assert block_id == "lead"  # the form's first input block: Slack shows it there
    assert "not on the list" in message
    time.sleep(1.0)  # a queued sale would have been posted by now
    assert bot.leadsquared.calls_to(CREATE) == []


def test_a_view_with_no_input_block_is_cleared(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS=USER)
    payload = sr.view_submission_payload(values={}, blocks=[], view_id="VOUTSIDER2", user_id=OUTSIDER)
    response, _ = post(bot, payload)
    assert response.json() == {"response_action": "clear"}


def test_lead_search_shows_an_outsider_no_names_emails_or_phones(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS=USER)
    for block_id, typed in (("lead", "asha"), ("lead", "asha@buyer.in"), ("product_sku", "pro")):
        payload = sr.block_suggestion_payload(action_id=block_id, block_id=block_id, value=typed, user_id=OUTSIDER)
        response, _ = post(bot, payload)
        assert response.status_code == 200
        assert response.json() == {"options": []}
    assert "Asha" not in json.dumps(bot.slack.calls, default=str)
    assert bot.leadsquared.calls_to("QuickSearch") == [] and bot.leadsquared.calls_to("Product") == []
    # Priya, on the list, finds the lead.
    payload = sr.block_suggestion_payload(action_id="lead", block_id="lead", value="asha", user_id=USER)
    response, _ = post(bot, payload)
    assert [o["value"] for o in response.json()["options"]] == [bot.lead_id]


def test_edit_and_retry_on_an_old_sale_is_refused_once_off_the_list(deploy, sqlite_url):
    before = deploy()  # everyone may log; Priya's sale is refused by LeadSquared
    before.leadsquared.fail_next("mx_500", path_contains=CREATE)
    before.log_sale()
    [failed] = before.wait_for_response("ephemeral")
    sale_id = _edit_retry_value(failed.args)
    before.server.stop()

    after = deploy(sqlite_url, LOGSALE_ALLOWED_USERS=OUTSIDER)  # Priya is no longer on it
    url = after.slack.new_response_url(channel_id=CHANNEL, user_id=USER)
    payload = sr.block_actions_payload(
        action_id="logsale_edit_retry",
        value=sale_id,
        user_id=USER,
        channel_id=CHANNEL,
        trigger_id=after.slack.new_trigger_id(),
        response_url=url,
    )
    opened_before = len(after.slack.calls_to("views.open"))
    response, elapsed = post(after, payload)
    assert response.status_code == 200 and elapsed < SLACK_LIMIT
    [note] = after.slack.wait_for("response_url", predicate=lambda c: c.url == url)
    assert "not on the list" in note.args["text"]
    assert note.args.get("response_type") == "ephemeral" and note.args.get("replace_original") is False
    time.sleep(0.5)
    assert len(after.slack.calls_to("views.open")) == opened_before


def test_an_email_entry_admits_by_profile_and_an_org_install_payload_is_read(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS="priya@acme.in")
    payload = sr.view_submission_payload(values=modal_state(bot), view_id="VEMAIL0001", user_id=USER)
    response, elapsed = post(bot, payload)
    assert response.status_code == 200 and elapsed < SLACK_LIMIT
    assert response.text == ""  # Priya, listed by email: accepted, the form closes
    bot.slack.wait_for("chat.postMessage")  # posted (no channel in its metadata: told by DM)
    # Enterprise Grid org-wide install: team is null, the user still carries their id.
    payload = sr.view_submission_payload(values=modal_state(bot), view_id="VGRID00002", user_id=OUTSIDER)
    payload.update(team=None, is_enterprise_install=True, enterprise={"id": "E0ACME", "name": "Acme"})
    response, _ = post(bot, payload)
    assert "not on the list" in json.dumps(response.json())
    assert len(bot.leadsquared.calls_to(CREATE)) == 1


def test_a_slow_users_info_never_makes_an_ack_miss_3_seconds(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS="priya@acme.in")
    bot.slack.method_delays["users.info"] = 4.0
    started = time.monotonic()
    response, _ = bot.slash(user_id=USER)
    assert time.monotonic() - started < SLACK_LIMIT
    # Not let in unchecked: told to try again, no form.
    assert "try again" in response.json()["text"]
    assert bot.slack.calls_to("views.open") == []
    for payload in (
        sr.view_submission_payload(values=modal_state(bot), view_id="VSLOWUSERS", user_id=USER),
        sr.block_suggestion_payload(action_id="lead", block_id="lead", value="asha", user_id=USER),
    ):
        _, elapsed = post(bot, payload)
        assert elapsed < SLACK_LIMIT
    # The late answer was kept: once it is in, Priya gets her form at once.
    bot.slack.wait_for("users.info", timeout=10)
    bot.slack.method_delays.clear()
    bot.open_modal()


def _edit_retry_value(message: dict) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == "logsale_edit_retry":
                return element["value"]
    raise AssertionError(f"no Edit & retry button in {message}")


def test_events_and_shortcuts_from_an_outsider_are_acknowledged_and_go_no_further(deploy):
    bot = deploy(LOGSALE_ALLOWED_USERS=USER)
    event = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0LOGSALE",
        "event": {"type": "app_home_opened", "user": OUTSIDER, "channel": "D0HOME", "tab": "home"},
        "event_id": "Ev0HOME1",
        "event_time": int(time.time()),
    }
    body = json.dumps(event)
    response = sr.post_signed(bot.server.events_url, body, SIGNING_SECRET, content_type="application/json")
    assert response.status_code == 200 and response.text == ""
    url = bot.slack.new_response_url(channel_id=CHANNEL, user_id=OUTSIDER)
    shortcut = {
        "type": "message_action",
        "callback_id": "logsale_from_message",  # our own message shortcut
        "trigger_id": bot.slack.new_trigger_id(),
        "user": {"id": OUTSIDER, "team_id": "T0TEST"},
        "team": {"id": "T0TEST"},
        "channel": {"id": CHANNEL},
        "message": {"type": "message", "text": "asha bought pro", "ts": "1.2"},
        "response_url": url,
    }
    response, _ = post(bot, shortcut)
    assert response.status_code == 200
    [note] = bot.slack.wait_for("response_url", predicate=lambda c: c.url == url)
    assert "not on the list" in note.args["text"]
    assert bot.slack.calls_to("views.open") == []


def test_an_outsider_gets_no_home_no_form_from_a_shortcut_or_home_button_and_no_admin_move(deploy):
    # The outsider is even an admin: the allow-list is checked first, on every path.
    bot = deploy(LOGSALE_ALLOWED_USERS=USER, LOGSALE_ADMINS=f"{USER},{OUTSIDER}")
    home = {"id": "V0HOME", "type": "home", "blocks": [], "private_metadata": ""}

    def send_json(body: str):
        response = sr.post_signed(bot.server.events_url, body, SIGNING_SECRET, content_type="application/json")
        assert response.status_code == 200 and response.text == ""

    started = time.monotonic()
    send_json(sr.event_callback_body(sr.app_home_opened_event(OUTSIDER)))
    outsider_triggers = []
    for payload in (
        sr.global_shortcut_payload(
            callback_id="logsale_shortcut", user_id=OUTSIDER, trigger_id=bot.slack.new_trigger_id()
        ),
        sr.message_shortcut_payload(
            callback_id="logsale_from_message",
            text="asha@buyer.in SKU-PRO won 12000",
            message_ts="1700000000.000100",
            user_id=OUTSIDER,
            channel_id=CHANNEL,
            trigger_id=bot.slack.new_trigger_id(),
            response_url=bot.slack.new_response_url(channel_id=CHANNEL, user_id=OUTSIDER),
        ),
        sr.home_block_actions_payload(
            action_id="logsale_open", value=None, view=home, user_id=OUTSIDER, trigger_id=bot.slack.new_trigger_id()
        ),
        sr.home_block_actions_payload(
            action_id="logsale_home_retry",
            value="1",
            view=home,
            user_id=OUTSIDER,
            trigger_id=bot.slack.new_trigger_id(),
        ),
    ):
        outsider_triggers.append(payload["trigger_id"])
        response, elapsed = post(bot, payload)
        assert response.status_code == 200 and elapsed < SLACK_LIMIT
    # Someone on the list, after them: their Home is published and their shortcut opens the form,
    # so the outsider's requests (sent first, on the same threads) had every chance to.
    send_json(sr.event_callback_body(sr.app_home_opened_event(USER)))
    trigger = bot.slack.new_trigger_id()
    response, _ = post(
        bot, sr.global_shortcut_payload(callback_id="logsale_shortcut", user_id=USER, trigger_id=trigger)
    )
    assert response.status_code == 200
    bot.slack.wait_for("views.publish", predicate=lambda c: c.args.get("user_id") == USER)
    bot.slack.wait_for("views.open", predicate=lambda c: c.args.get("trigger_id") == trigger)
    time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    assert [c for c in bot.slack.calls_to("views.publish") if c.args.get("user_id") == OUTSIDER] == []
    assert [c for c in bot.slack.calls_to("views.open") if c.args.get("trigger_id") in outsider_triggers] == []
    assert bot.slack.home_of(OUTSIDER) is None
