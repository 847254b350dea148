"""Slack goes down while sales are posted: every confirmation arrives once it is back, once.

The stand-in Slack really goes down (answers 503/429 to every call and response_url post, or
stops listening) for a few seconds; the bot's notification back-off is scaled down to 0.2 s
through LOGSALE_NOTIFY_BACKOFF_SECONDS, so a few seconds stand for a ten-minute outage.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.conftest import SECRETS, Deployment
from tests.e2e.test_reliability import _burst, bot_keys, wait_until

FAST_BACKOFF = {"LOGSALE_NOTIFY_BACKOFF_SECONDS": "0.2"}


def delivered_to_channel(bot: Deployment) -> list:
    """Every channel announcement Slack accepted, by whichever route."""
    by_url = [
        c for c in bot.slack.calls_to("response_url") if c.status == 200 and c.args.get("response_type") == "in_channel"
    ]
    by_api = [c for c in bot.slack.calls_to("chat.postMessage") if c.ok]
    return by_url + by_api


def refused_while_down(bot: Deployment) -> list:
    return [c for c in bot.slack.calls_to("response_url") if c.status != 200]


@pytest.mark.parametrize("outage", [503, 429, None], ids=["503", "429", "refusing-connections"])
def test_a_slack_outage_loses_no_confirmation_and_doubles_none(deploy, outage):
    bot = deploy(**FAST_BACKOFF)
    view = bot.open_modal()
    bot.slack.go_down(outage)
    try:
        response = bot.submit(view)
        assert response.status_code == 200 and response.text == ""  # the ack never needs Slack
        wait_until(lambda: len(bot.leadsquared.live_activities()) == 1, 20, "the sale to reach LeadSquared")
        if outage is None:
            time.sleep(3)  # nothing to count: connections are refused
        else:
            wait_until(lambda: len(refused_while_down(bot)) >= 3, 20, "the bot to keep trying while Slack is down")
    finally:
        bot.slack.come_back()
    [announcement] = bot.slack.wait_for(
        "response_url", timeout=20, predicate=lambda c: c.status == 200 and c.args.get("response_type") == "in_channel"
    )
    [activity_id] = bot.leadsquared.live_activities()
    assert activity_id in json.dumps(announcement.args)
    time.sleep(2)  # nothing else arrives later
    assert len(delivered_to_channel(bot)) == 1
    assert bot.slack.calls_to("chat.postMessage") == []  # the same route, retried: no fallback needed
    assert len(bot.leadsquared.calls_to("SalesActivity.svc/Create")) == 1
    assert not any(secret in bot.everything_said() for secret in SECRETS)


@pytest.mark.postgres
def test_three_workers_deliver_each_confirmation_once_after_an_outage(slack, postgres_url, tmp_path):
    from tests.e2e.conftest import deployment_env
    from tests.e2e.server import start_server
    from tests.standins.leadsquared import LeadSquaredStandIn

    access_key, secret_key = bot_keys()
    with LeadSquaredStandIn(access_key=access_key, secret_key=secret_key) as lsq:
        lsq.add_user("priya@acme.in")
        lsq.add_product("SKU-PRO", "Pro plan")
        lead_id = lsq.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in")
        env = deployment_env(slack, lsq, postgres_url, WEB_CONCURRENCY=3, **FAST_BACKOFF)
        server = start_server(env, tmp_path / "workers.log")
        try:
            bot = Deployment(server, slack, lsq, lead_id, env)
            lsq.delay = 1.0  # Slack goes down after the acks (Bolt's first request per worker calls auth.test)
            _burst(bot, 6)  # these carry no response_url: the channel gets them by chat.postMessage
            slack.go_down(503)
            assert delivered_to_channel(bot) == []
            wait_until(lambda: len(lsq.live_activities()) == 6, 30, "6 activities")
            wait_until(
                lambda: len([c for c in slack.calls_to("chat.postMessage") if c.status == 503]) >= 6,
                20,
                "the workers to keep trying while Slack is down",
            )
            slack.come_back()
            wait_until(lambda: len(delivered_to_channel(bot)) >= 6, 30, "6 announcements")
            time.sleep(2)
            posts = delivered_to_channel(bot)
            said = [json.dumps(c.args) for c in posts]
            assert len(posts) == 6, "a confirmation was lost or doubled"
            for activity_id in lsq.live_activities():
                assert sum(activity_id in text for text in said) == 1
        finally:
            server.stop()
