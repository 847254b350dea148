"""A slow views.open never holds the threads that acks need.

Acks are answered by a worker's 32 request threads (each runs its listener, bot/app.py). When the
form was opened on the pool that acked (Bolt's listener pool, 32 threads then), 40 salespeople
typing /logsale while Slack took 4 s to open each form held all 32 threads: the last 8 commands,
and a submission sent meanwhile, waited for a thread past Slack's 3 seconds. Forms open on their
own pool (64 threads) after the ack.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests import slack_requests as sr
from tests.e2e.conftest import CHANNEL, SIGNING_SECRET, USER

SLACK_LIMIT = 3.0
AT_ONCE = 40  # more than a worker's request threads (bot/gunicorn_conf.py threads = 32)


def test_forty_commands_while_views_open_takes_4_s_all_ack_at_once_and_every_form_opens(bot):
    bot.slack.method_delays["views.open"] = 4.0
    bodies = [
        sr.slash_command_body(
            user_id=USER,
            channel_id=CHANNEL,
            trigger_id=bot.slack.new_trigger_id(),
            response_url=bot.slack.new_response_url(channel_id=CHANNEL, user_id=USER),
        )
        for _ in range(AT_ONCE)
    ]

    def send(body: str) -> tuple[int, float]:
        started = time.monotonic()
        response = sr.post_signed(bot.server.events_url, body, SIGNING_SECRET)
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(AT_ONCE) as pool:
        commands = [pool.submit(send, body) for body in bodies]
        time.sleep(0.5)  # every form is now being opened
        payload = sr.block_suggestion_payload(action_id="lead", block_id="lead", value="asha", user_id=USER)
        suggestion = send(sr.form_body_for_payload(payload))
        acks = [c.result() for c in commands]

    assert [status for status, _ in acks] == [200] * AT_ONCE
    slowest = max(elapsed for _, elapsed in acks)
    assert slowest < SLACK_LIMIT, f"slowest /logsale ack took {slowest:.2f} s"
    assert suggestion[0] == 200 and suggestion[1] < SLACK_LIMIT, suggestion
    # Each form opened (its trigger_id was fresh when views.open arrived), none twice.
    opened = bot.slack.wait_for("views.open", count=AT_ONCE, timeout=20)
    assert [call.response.get("error") for call in opened if not call.ok] == []
    assert len({call.args["trigger_id"] for call in opened}) == AT_ONCE
