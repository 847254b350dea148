"""A slow users.info (Slack's profile lookup) never makes an ack miss Slack's 3 seconds."""

from __future__ import annotations

import time

from tests import slack_requests as sr
from tests.e2e.conftest import SIGNING_SECRET, USER

SLACK_LIMIT = 3.0


def test_a_submission_whose_form_opened_before_users_info_answered_acks_in_time(bot):
    bot.slack.method_delays["users.info"] = 6.0
    view = bot.open_modal()  # opens at once; the time zone never arrives in its metadata
    assert '"tz"' not in view.get("private_metadata", "")
    started = time.monotonic()
    response = bot.submit(view)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < SLACK_LIMIT, elapsed
    bot.wait_for_response("in_channel", timeout=20)  # logged, read in UTC for want of a zone


def test_undo_and_options_do_not_wait_for_users_info_either(bot):
    bot.slack.method_delays["users.info"] = 6.0
    payload = sr.block_suggestion_payload(action_id="lead", block_id="lead", value="asha", user_id=USER)
    started = time.monotonic()
    response = sr.post_signed(bot.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)
    assert response.status_code == 200 and time.monotonic() - started < SLACK_LIMIT
    payload = sr.block_actions_payload(
        action_id="logsale_undo",
        value="1",
        user_id=USER,
        trigger_id=bot.slack.new_trigger_id(),
        response_url=bot.slack.new_response_url(channel_id="C0SALES", user_id=USER),
    )
    started = time.monotonic()
    response = sr.post_signed(bot.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)
    assert response.status_code == 200 and time.monotonic() - started < SLACK_LIMIT
