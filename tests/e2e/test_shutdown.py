"""SIGTERM during a slow LeadSquared Create (a deploy, a restart): the sale ends up done, or
back to pending marked "maybe posted" — never stuck in "posting" until its lease runs out."""

from __future__ import annotations

import time

from bot.delivery.outbox import Outbox, SaleState
from tests.e2e.conftest import USER

CREATE = "SalesActivity.svc/Create"
LEASE = 60  # the default LOGSALE_LEASE_SECONDS: what a stuck row would wait


def the_sale(database_url: str):
    [record] = Outbox.from_url(database_url).recent_for_user(USER)
    return record


def wait_for_create(bot, timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while not bot.leadsquared.calls_to(CREATE):
        assert time.time() < deadline, "the sale never reached LeadSquared"
        time.sleep(0.05)


def test_a_create_that_answers_within_the_graceful_timeout_is_finished(deploy, sqlite_url):
    bot = deploy()
    bot.leadsquared.fail_next("slow_after_create", path_contains=CREATE, sleep=2.0)
    bot.log_sale()
    wait_for_create(bot)
    started = time.monotonic()
    bot.server.stop()  # SIGTERM to master and worker, as Heroku does
    assert time.monotonic() - started < 25
    record = the_sale(sqlite_url)
    assert record.state is SaleState.DONE and record.leadsquared_id
    assert len(bot.leadsquared.live_activities()) == 1


def test_a_create_still_in_flight_is_handed_back_and_adopted_not_doubled(deploy, sqlite_url):
    # The graceful timeout (5 s) is shorter than LeadSquared's answer (30 s) and our own
    # read timeout (6 s): the worker must hand the sale back before it is killed.
    bot = deploy(GUNICORN_CMD_ARGS="--graceful-timeout 5", LEADSQUARED_TIMEOUT=6)
    bot.leadsquared.fail_next("slow_after_create", path_contains=CREATE, sleep=30.0)
    bot.log_sale()
    wait_for_create(bot)
    stopped_at = time.time()
    bot.server.stop()
    record = the_sale(sqlite_url)
    assert record.state is SaleState.PENDING, record
    assert record.maybe_posted and record.claimed_by is None
    assert record.next_attempt_at < stopped_at + LEASE / 2  # due soon, not after a lease
    # The next process looks it up, finds the activity the slow Create made, and adopts it.
    bot.leadsquared.clear_failures()
    after = deploy(sqlite_url, LEADSQUARED_TIMEOUT=6)
    after.wait_for_response("in_channel", timeout=20)
    assert the_sale(sqlite_url).state is SaleState.DONE
    assert len(bot.leadsquared.calls_to(CREATE)) == 1
    assert len(bot.leadsquared.live_activities()) == 1
