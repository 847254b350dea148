"""The bot's listeners run on the thread that answers Slack (bot/app.py: process_before_response),
and Slack's answer is what they acked: inline errors, or an empty 200 once the sale is stored."""

from __future__ import annotations

import threading

from bot.listeners.views import logsale_submission
from tests import slack_requests as sr


def _submission(in_process_bot, *, revenue: str, view_id: str) -> dict:
    in_process_bot.leadsquared.add_user("priya@acme.in")  # an active LeadSquared user
    state = {
        "lead": {"lead": sr.external_select_state(in_process_bot.lead_id, "Asha Rao")},
        "product_sku": {"product_sku": sr.plain_text_state("SKU-PRO")},
        "status": {"status": sr.static_select_state("Won")},
        "revenue": {"revenue": sr.number_state(revenue)},
        "sales_owner": {"sales_owner": sr.email_state("priya@acme.in")},
        "sales_date": {"sales_date": sr.plain_text_state("yesterday 5pm")},
    }
    return sr.view_submission_payload(values=state, view_id=view_id)


def _spy_on_validation(monkeypatch) -> list[int]:
    threads: list[int] = []
    validate = logsale_submission.validate_sale

    def spying(*args, **kwargs):
        threads.append(threading.get_ident())
        return validate(*args, **kwargs)

    monkeypatch.setattr(logsale_submission, "validate_sale", spying)
    return threads


def test_a_submission_with_a_mistake_is_answered_with_its_errors_from_the_request_thread(in_process_bot, monkeypatch):
    threads = _spy_on_validation(monkeypatch)
    response = in_process_bot.payload(_submission(in_process_bot, revenue="twelve", view_id="VTHREAD1"))
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"revenue"}
    assert threads == [threading.get_ident()]  # not handed to Bolt's listener pool
    assert in_process_bot.services.outbox.recent_for_user("U123", limit=10) == []


def test_a_valid_submission_is_stored_before_its_empty_answer(in_process_bot, monkeypatch):
    threads = _spy_on_validation(monkeypatch)
    response = in_process_bot.payload(_submission(in_process_bot, revenue="125000", view_id="VTHREAD2"))
    assert (response.status, response.text) == (200, "")
    assert threads == [threading.get_ident()]
    [stored] = in_process_bot.services.outbox.recent_for_user("U123", limit=10)
    assert stored.sale.revenue == 125000 and stored.submission_key.endswith(":VTHREAD2")


def test_work_after_the_ack_that_cannot_start_leaves_the_answer_alone(in_process_bot):
    # The worker is stopping: its background pool takes no more jobs. The sale was stored, so
    # Slack must still get the empty 200 (an error here would show the salesperson a failure).
    in_process_bot.services.background.shutdown(wait=True)
    response = in_process_bot.payload(_submission(in_process_bot, revenue="99000", view_id="VTHREAD3"))
    assert (response.status, response.text) == (200, "")
    [stored] = in_process_bot.services.outbox.recent_for_user("U123", limit=10)
    assert stored.sale.revenue == 99000
