"""The one validator for a submitted sale.

Used by the view_submission ack (inline errors) and again by the background worker
before anything is sent to LeadSquared, so nothing invalid can ever reach it.
Errors are keyed by the modal's block_id and phrased as how to fix it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from bot.domain.dates import SalesDateError, parse_sales_date
from bot.domain.lead_text import lead_kind
from bot.domain.model import (
    MAX_EMAIL,
    MAX_LEAD,
    MAX_SKU,
    STATUSES_IN_WORDS,
    LeadRef,
    RawSale,
    Sale,
    canonical_status,
)

MAX_REVENUE = Decimal("1000000000000")  # a trillion: anything above is a typo
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REVENUE_RE = re.compile(r"^\d{1,3}(,\d{2,3})*(\.\d+)?$|^\d+(\.\d+)?$")


@dataclass(frozen=True)
class ValidationResult:
    sale: Sale | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.sale is not None


def has_control_characters(text: str) -> bool:
    if text.isprintable():  # C: no Cc/Cf/Cs/Co/Cn in it (the usual case, without a loop)
        return False
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def _text_problem(text: str, limit: int, what: str) -> str | None:
    if len(text) > limit:
        return f"{what} is too long ({len(text)} characters); the most is {limit}."
    if has_control_characters(text):
        return f"{what} contains invisible control characters; please type it again."
    return None


def parse_revenue(text: str) -> Decimal | None:
    """ "12,000", "12000.50", "1,20,000" (Indian grouping) -> Decimal; None when not a plain amount."""
    text = text.strip().replace(" ", "")
    if not REVENUE_RE.match(text):
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def validate_sale(raw: RawSale, *, tz: str, locale: str | None = None, now: datetime | None = None) -> ValidationResult:
    errors: dict[str, str] = {}

    lead_text = raw.lead.strip()
    kind = None
    if not lead_text:
        errors["lead"] = "Enter who bought: the lead's email, phone number or LeadSquared ProspectId."
    elif problem := _text_problem(lead_text, MAX_LEAD, "The lead"):
        errors["lead"] = problem
    else:
        kind = lead_kind(lead_text)
        if kind is None:
            errors["lead"] = (
                "Enter the lead's email (priya@acme.in), phone number (+91 98765 43210) or LeadSquared ProspectId."
            )

    sku = raw.product_sku.strip()
    if not sku:
        errors["product_sku"] = "Enter the product SKU, as shown in LeadSquared."
    elif problem := _text_problem(sku, MAX_SKU, "The SKU"):
        errors["product_sku"] = problem

    status = canonical_status(raw.status)
    if status is None:
        errors["status"] = f"Choose {STATUSES_IN_WORDS}."

    revenue = None
    revenue_text = raw.revenue.strip()
    if not revenue_text:
        errors["revenue"] = "Enter the revenue, like 1200 or 1200.50."
    elif (problem := _text_problem(revenue_text, 40, "Revenue")) is not None:
        errors["revenue"] = problem
    else:
        revenue = parse_revenue(revenue_text)
        if revenue is None:
            errors["revenue"] = "Revenue must be a number, like 1200 or 1200.50 (no currency sign)."
        elif revenue > MAX_REVENUE:
            errors["revenue"] = "Revenue looks too large; check the number of zeros."
            revenue = None

    owner = raw.sales_owner.strip()
    if not owner:
        errors["sales_owner"] = "Enter the sales owner's email, as in LeadSquared."
    elif problem := _text_problem(owner, MAX_EMAIL, "The email"):
        errors["sales_owner"] = problem
    elif not EMAIL_RE.match(owner):
        errors["sales_owner"] = "Enter an email address, like priya@acme.in."

    sales_date = None
    try:
        sales_date = parse_sales_date(raw.sales_date, tz=tz, locale=locale, now=now)
    except SalesDateError as error:
        errors["sales_date"] = error.message

    if errors:
        return ValidationResult(None, errors)
    assert kind is not None and status is not None and revenue is not None and sales_date is not None
    lead = LeadRef(text=lead_text, kind=kind, prospect_id=lead_text if kind == "prospect_id" else None)
    sale = Sale(
        lead=lead,
        product_sku=sku,
        status=status,
        revenue=revenue,
        sales_owner_email=owner.lower(),
        sales_date_utc=sales_date,
    )
    return ValidationResult(sale)


def recheck_sale(sale: Sale, *, now: datetime) -> dict[str, str]:
    """The same validator again, on a sale that was validated once (by the ack) and stored: the
    background worker sends nothing this validator would refuse. ``now`` is when it was typed.
    Returns the errors by block_id (empty when it still holds)."""
    typed_again = RawSale(
        lead=sale.lead.text,
        product_sku=sale.product_sku,
        status=sale.status,
        revenue=format(sale.revenue, "f"),
        sales_owner=sale.sales_owner_email,
        # An ISO instant with its offset reads back as exactly that instant, in any zone.
        sales_date=sale.sales_date_utc.astimezone(timezone.utc).isoformat(),
    )
    return validate_sale(typed_again, tz="UTC", now=now).errors
