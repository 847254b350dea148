"""The background worker runs the one validator again on the stored sale (bot.domain.validation
.recheck_sale): it must refuse what the ack would refuse, and never refuse what the ack accepted."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.outbox import sale_columns, sale_from_columns
from bot.domain.model import RawSale
from bot.domain.validation import recheck_sale, validate_sale
from tests import factories

CORPUS = Path(__file__).resolve().parents[2] / "data" / "typed_dates.csv"


def _accepted_corpus_rows():
    with CORPUS.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [row for row in csv.DictReader(lines) if row["expected"] != "error"]


def _stored_then_read(raw: RawSale, *, tz: str, locale: str | None, now: datetime):
    """What the dispatcher gets back: validated by the ack, stored through the row mapping."""
    result = validate_sale(raw, tz=tz, locale=locale, now=now)
    assert result.ok, result.errors
    row = factories.submission(raw=raw, user_tz=tz, user_locale=locale, created_at=now.timestamp())
    stored = sale_columns(row.sale)
    assert stored == sale_columns(result.sale)  # the same mapping as the ack's
    return sale_from_columns(stored["sale"])


@pytest.mark.parametrize("row", _accepted_corpus_rows(), ids=lambda r: f"{r['text']}@{r['tz']}")
def test_every_date_people_type_that_the_ack_accepts_the_worker_accepts_too(row):
    now = datetime.fromisoformat(row["now"].replace("Z", "+00:00"))
    raw = replace(factories.RAW, sales_date=row["text"])
    sale = _stored_then_read(raw, tz=row["tz"], locale=row["locale"] or None, now=now)
    assert sale is not None
    assert recheck_sale(sale, now=now) == {}


@settings(max_examples=150, deadline=None)
@given(
    revenue=st.decimals(min_value=0, max_value=Decimal("999999999999"), places=2, allow_nan=False),
    status=st.sampled_from(["open", "Won", "LOST"]),
    lead=st.sampled_from(["priya@acme.in", "+91 98765 43210", "9876543210", "8f6b2a8e-1d2c-4b5a-9e8f-0a1b2c3d4e5f"]),
    minutes_ago=st.integers(min_value=0, max_value=60 * 24 * 400),
)
def test_a_sale_the_ack_accepted_is_never_refused_by_the_worker(revenue, status, lead, minutes_ago):
    now = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    raw = RawSale(
        lead=lead,
        product_sku="SKU-PRO",
        status=status,
        revenue=format(revenue, ",f"),
        sales_owner="Owner@Acme.in",
        sales_date=f"{minutes_ago} minutes ago",
    )
    sale = _stored_then_read(raw, tz="America/New_York", locale="en-US", now=now)
    assert sale is not None and recheck_sale(sale, now=now) == {}


def test_a_stored_sale_the_validator_refuses_is_refused_by_the_worker():
    # Rows that the ack would never have written (tampered, or from an older, laxer release).
    now = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    sale = factories.submission(created_at=now.timestamp()).sale
    assert recheck_sale(replace(sale, revenue=Decimal("5000000000000")), now=now).keys() == {"revenue"}
    assert recheck_sale(replace(sale, sales_owner_email="not-an-email"), now=now).keys() == {"sales_owner"}
    three_days_ahead = now.replace(day=30)
    assert recheck_sale(replace(sale, sales_date_utc=three_days_ahead), now=now).keys() == {"sales_date"}
