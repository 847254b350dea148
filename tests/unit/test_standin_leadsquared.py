"""The LeadSquared stand-in's answers_held(): calls are recorded on arrival, answered at the block's end."""

from __future__ import annotations

import threading
import time

import requests

from tests.standins.leadsquared import LeadSquaredStandIn

KEYS = {"x-LSQ-AccessKey": "ak", "x-LSQ-SecretKey": "sk"}


def test_a_call_made_while_answers_are_held_arrives_at_once_and_is_answered_when_released():
    with LeadSquaredStandIn("ak", "sk") as lsq:
        lsq.add_user("owner@example.com")
        answered: list[tuple[int, float]] = []

        def ask() -> None:
            response = requests.get(
                f"{lsq.url}/v2/UserManagement.svc/User/Retrieve/ByEmailAddress",
                params={"emailAddress": "owner@example.com"},
                headers=KEYS,
                timeout=10,
            )
            answered.append((response.status_code, time.monotonic()))

        with lsq.answers_held():
            caller = threading.Thread(target=ask)
            caller.start()
            deadline = time.monotonic() + 5
            while not lsq.calls_to("ByEmailAddress") and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(lsq.calls_to("ByEmailAddress")) == 1  # received and counted
            time.sleep(0.3)
            assert answered == []  # but not answered
            released = time.monotonic()
        caller.join(5)
        assert len(answered) == 1 and answered[0][0] == 200 and answered[0][1] >= released
