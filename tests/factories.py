"""Shared builders for a sale as stored: the raw sale goes through the same validator and the
same column mapping as the ack (bot/listeners/views/logsale_submission.py), so a test row
holds what a real row would."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone

from bot.delivery.outbox import SaleRecord, SaleState, Submission, sale_columns
from bot.domain.model import RawSale
from bot.domain.validation import validate_sale

RAW = RawSale(lead="priya@acme.in", product_sku="SKU-PRO", status="Won", revenue="12000", sales_owner="owner@acme.in")


def submission(
    key: str = "T1:V1",
    *,
    raw: RawSale = RAW,
    user_tz: str = "Asia/Kolkata",
    user_locale: str | None = "en-IN",
    created_at: float | None = None,
    prospect_id: str | None = None,
    lead_label: str | None = None,
    **overrides,
) -> Submission:
    """A valid submission of ``raw`` (the lead resolved to ``prospect_id`` when given; no
    owner typed stands for owner@acme.in); ``overrides`` set any other column as is."""
    created_at = created_at or time.time()
    checked = replace(raw, sales_owner=raw.sales_owner or "owner@acme.in")  # tests leave it out freely
    result = validate_sale(
        checked, tz=user_tz, locale=user_locale, now=datetime.fromtimestamp(created_at, timezone.utc)
    )
    assert result.ok and result.sale is not None, result.errors
    lead = replace(result.sale.lead, prospect_id=prospect_id or result.sale.lead.prospect_id, label=lead_label)
    values = dict(
        submission_key=key,
        team_id="T1",
        user_id="U1",
        user_name="priya",
        channel_id="C1",
        response_url=None,
        user_tz=user_tz,
        user_locale=user_locale,
        raw=raw,
        **sale_columns(replace(result.sale, lead=lead)),
        created_at=created_at,
    )
    values.update(overrides)
    return Submission(**values)


def record(
    sale_id: int = 1,
    state: SaleState = SaleState.PENDING,
    *,
    raw: RawSale = RAW,
    user_tz: str = "Asia/Kolkata",
    user_locale: str | None = "en-IN",
    created_at: float | None = None,
    prospect_id: str | None = None,
    lead_label: str | None = None,
    **overrides,
) -> SaleRecord:
    """A stored row of ``submission(raw…)`` as the outbox reads it back, in ``state`` (a done or
    undone sale has an activity Id, "A<sale_id>"); ``overrides`` set any other field as is."""
    typed = submission(
        f"T1:V{sale_id}",
        raw=raw,
        user_tz=user_tz,
        user_locale=user_locale,
        created_at=created_at,
        prospect_id=prospect_id,
        lead_label=lead_label,
    )
    values = dict(
        typed.__dict__,
        id=sale_id,
        state=state,
        version=1,
        attempts=0 if state is SaleState.PENDING else 1,
        next_attempt_at=0.0,
        lease_until=None,
        claimed_by=None,
        maybe_posted=False,
        leadsquared_id=f"A{sale_id}" if state in (SaleState.DONE, SaleState.CANCELLED) else None,
        error_kind=None,
        last_error=None,
        delay_notified=False,
        cancelled_by=None,
        updated_at=typed.created_at,
    )
    values.update(overrides)
    return SaleRecord(**values)
