"""Bad input of any kind never breaks the bot: no 5xx, nothing invalid queued or sent."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.validation import validate_sale
from tests import slack_requests as sr
from tests.dispatch.conftest import SIGNING_SECRET

FIELDS = ("lead", "product_sku", "status", "revenue", "sales_owner", "sales_date")
fuzz_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)


@fuzz_settings
@given(body=any_text, content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json"]))
def test_any_signed_body_gets_a_non_5xx_answer(in_process_bot, body, content_type):
    response = in_process_bot.request(body, content_type=content_type)
    assert response.status < 500


@fuzz_settings
@given(body=any_text)
def test_any_unsigned_body_is_refused(in_process_bot, body):
    response = in_process_bot.request(body, headers={})
    assert response.status == 401


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=12,
)


@fuzz_settings
@given(state=st.dictionaries(st.sampled_from(FIELDS) | any_text, json_values, max_size=8))
def test_any_view_state_shape_gets_inline_errors_or_is_queued_valid(in_process_bot, state):
    payload = sr.view_submission_payload(values=state, view_id="VFUZZSHAPE", blocks=[])
    response = in_process_bot.payload(payload)
    assert response.status == 200
    _assert_ack_is_sane(in_process_bot, response)


@fuzz_settings
@given(values=st.fixed_dictionaries({field: any_text for field in FIELDS}))
def test_any_field_text_gets_inline_errors_or_is_queued_valid(in_process_bot, values):
    state = {
        "lead": {"lead": sr.plain_text_state(values["lead"])},
        "product_sku": {"product_sku": sr.plain_text_state(values["product_sku"])},
        "status": {"status": sr.static_select_state(values["status"] or None)},
        "revenue": {"revenue": sr.number_state(values["revenue"])},
        "sales_owner": {"sales_owner": sr.email_state(values["sales_owner"])},
        "sales_date": {"sales_date": sr.plain_text_state(values["sales_date"])},
    }
    response = in_process_bot.payload(sr.view_submission_payload(values=state, view_id="VFUZZTEXT"))
    assert response.status == 200
    _assert_ack_is_sane(in_process_bot, response)


def _assert_ack_is_sane(bot, response) -> None:
    if response.text:
        ack = response.json()
        assert ack["response_action"] == "errors"
        assert set(ack["errors"]) <= set(FIELDS)
        assert all(isinstance(v, str) and v for v in ack["errors"].values())
    # Whatever was queued passes the same validator again (as the dispatcher will check).
    for record in bot.services.outbox.recent_for_user("U123", limit=100):
        created = datetime.fromtimestamp(record.created_at, timezone.utc)
        assert validate_sale(record.raw, tz=record.user_tz, locale=record.user_locale, now=created).ok
    assert bot.leadsquared.calls_to("SalesActivity.svc/Create") == []


def test_slash_command_bodies_with_payload_anywhere_are_commands(in_process_bot):
    for where in ("text", "channel_name", "user_name", "team_domain"):
        fields = {where: "payload-team"} if where != "text" else {"text": "help PAYLOAD-X"}
        body = sr.slash_command_body(trigger_id=in_process_bot.slack.new_trigger_id(), response_url="", **fields)
        response = in_process_bot.request(body)
        assert response.status == 200, (where, response.text)


def test_the_background_worker_refuses_what_the_ack_would_refuse(in_process_bot):
    """Bolt runs lazy listeners even after an errors ack; our worker re-validates instead."""
    from bot.delivery.outbox import SaleState
    from bot.domain.model import RawSale
    from tests import factories

    services = in_process_bot.services
    bad = RawSale(lead=in_process_bot.lead_id, product_sku="SKU", status="Maybe", revenue="-1", sales_owner="x")
    # A row the ack would have refused, stored anyway: what a lazy listener run after the errors ack would store.
    stored = factories.changed(
        factories.submission("T:VBAD", user_tz="UTC", user_locale=None, prospect_id=in_process_bot.lead_id),
        raw=bad,
        lead_text=bad.lead,
        product_sku="SKU",
        status="Maybe",
        revenue="-1",
        sales_owner_email="x",
    )
    record, _ = services.outbox.enqueue(stored)
    assert services.dispatcher.run_once("test-worker")
    assert services.outbox.get(record.id).state is SaleState.FAILED
    assert in_process_bot.leadsquared.calls_to("SalesActivity.svc/Create") == []
    assert json.dumps(services.outbox.get(record.id).last_error)


def test_a_slash_command_signed_with_another_secret_or_ten_minutes_ago_is_refused(in_process_bot):
    # bot/web.py's check is the only one (Bolt's own is off): both ways a signature fails must still refuse.
    body = sr.slash_command_body(
        text="help", user_id="U0FUZZ", channel_id="C0FUZZ", trigger_id="1.2.x", response_url="https://hooks.slack.com/x"
    )
    assert in_process_bot.request(body, headers=sr.sign("not-the-signing-secret", body)).status == 401
    ten_minutes_ago = int(datetime.now(timezone.utc).timestamp()) - 600
    assert in_process_bot.request(body, headers=sr.sign(SIGNING_SECRET, body, ten_minutes_ago)).status == 401
    assert in_process_bot.request(body).status == 200
