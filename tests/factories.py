"""Shared builders for a sale as stored: the raw sale goes through the same validator and the
same column mapping as the ack (bot/listeners/views/logsale_submission.py), so a test row
holds what a real row would."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

from bot.delivery.outbox import STORED_DATE_FORMAT, SaleRecord, SaleState, Submission
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
    sale_changes = {name: overrides.pop(name) for name in list(overrides) if name in SALE_VALUES}
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
        sale=replace(result.sale, lead=lead),
        created_at=created_at,
    )
    values.update(overrides)
    return changed(Submission(**values), **sale_changes)


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
    sale_changes = {name: overrides.pop(name) for name in list(overrides) if name in SALE_VALUES}
    values.update(overrides)
    return changed(SaleRecord(**values), **sale_changes)


# The sale's values by the names a row shows them (Submission's read-only properties).
SALE_VALUES = (
    "lead_text",
    "prospect_id",
    "lead_label",
    "product_sku",
    "status",
    "revenue",
    "sales_owner_email",
    "sales_date",
)


def changed(stored, **changes):
    """``stored`` (a Submission or SaleRecord) with ``changes`` made: the sale's values by the
    names a row shows them (lead_text, revenue "12000.50", sales_date "2026-11-26 09:30:00"…),
    anything else as the field it names."""
    sale = stored.sale
    lead_changes = {
        new: changes.pop(old)
        for old, new in (("lead_text", "text"), ("prospect_id", "prospect_id"), ("lead_label", "label"))
        if old in changes
    }
    if "revenue" in changes:
        changes["revenue"] = Decimal(changes["revenue"])
    if "sales_date" in changes:
        changes["sales_date_utc"] = datetime.strptime(changes.pop("sales_date"), STORED_DATE_FORMAT).replace(
            tzinfo=timezone.utc
        )
    sale_changes = {
        name: changes.pop(name)
        for name in list(changes)
        if name in ("product_sku", "status", "revenue", "sales_owner_email", "sales_date_utc")
    }
    if lead_changes or sale_changes:
        changes["sale"] = replace(sale, lead=replace(sale.lead, **lead_changes), **sale_changes)
    return replace(stored, **changes)
