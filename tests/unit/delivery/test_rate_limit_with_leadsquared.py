"""The shared window against the LeadSquared stand-in over HTTP, with its own rate limit on:
calls whose answers come late must not let later calls through early."""

from __future__ import annotations

import threading
import time

from bot.delivery.outbox import Outbox
from bot.delivery.rate_limit import SharedRateLimiter
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.errors import LeadSquaredError
from tests.standins.leadsquared import LeadSquaredStandIn


def test_calls_answered_after_their_window_hold_their_slots_and_nothing_is_refused(sqlite_url):
    # 2 calls a second on both sides; LeadSquared holds the first two answers for 1.5 s, longer
    # than a window, and counts them when it answers. Two more calls wait meanwhile.
    with LeadSquaredStandIn("ak", "sk", rate_limit=(2, 1.0)) as lsq:
        lsq.add_user("owner@example.com")
        limiter = SharedRateLimiter(Outbox.from_url(sqlite_url).engine, 2, 1.0, max_flight=5.0)
        client = LeadSquaredClient(lsq.url, "ak", "sk", rate_limiter=limiter, timeout=(2.0, 3.0))
        outcomes: list[str] = []

        def owner_check() -> None:
            try:
                client.users_by_email("owner@example.com")
                outcomes.append("ok")
            except LeadSquaredError as error:
                outcomes.append(error.kind.value)

        first = [threading.Thread(target=owner_check) for _ in range(2)]
        later = [threading.Thread(target=owner_check) for _ in range(2)]
        with lsq.answers_held():
            for thread in first:
                thread.start()
            deadline = time.monotonic() + 5
            while len(lsq.calls) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            for thread in later:
                thread.start()
            time.sleep(1.5)
            assert len(lsq.calls) == 2  # the later two are still waiting for a slot
        for thread in first + later:
            thread.join(10)
        assert outcomes == ["ok"] * 4
        assert [call.status for call in lsq.calls] == [200] * 4
