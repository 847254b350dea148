"""Plain data the rest of the bot passes around. No Slack, no I/O."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from decimal import Decimal
from enum import Enum

STATUSES = ("Open", "Won", "Lost")
STATUSES_IN_WORDS = ", ".join(STATUSES[:-1]) + " or " + STATUSES[-1]  # "Open, Won or Lost"


def canonical_status(text: str) -> str | None:
    """One of STATUSES, however it was capitalised or padded; None for anything else."""
    lowered = (text or "").strip().lower()
    return next((s for s in STATUSES if s.lower() == lowered), None)


@dataclass(frozen=True)
class RawSale:
    """Exactly what the salesperson typed, field by field (the modal's block_ids).

    Kept verbatim so a failed sale can reopen the modal pre-filled with it. ``lead_label`` and
    ``product_label`` are the texts of the options picked in the search fields ("Priya Shah ·
    priya@acme.in · 98765…", "SKU-PRO · Pro plan"); "" when the value was typed or pre-filled.
    They ride in the stored ``raw`` JSON, so messages and Edit & retry show what was picked.
    """

    lead: str = ""
    product_sku: str = ""
    status: str = ""
    revenue: str = ""
    sales_owner: str = ""
    sales_date: str = ""
    lead_label: str = ""
    product_label: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> RawSale:
        data = data or {}
        return cls(**{f.name: str(data.get(f.name) or "") for f in fields(cls)})


@dataclass(frozen=True)
class LeadRef:
    """The lead as typed, and what we know of it.

    ``kind`` is how the text looks: "prospect_id", "email" or "phone".
    ``prospect_id`` is set once resolved (immediately for a ProspectId).
    ``label`` is a human name for messages ("Priya Shah", or the email).
    """

    text: str
    kind: str
    prospect_id: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Sale:
    """A validated sale. Everything but the lead's ProspectId is final."""

    lead: LeadRef
    product_sku: str
    status: str
    revenue: Decimal
    sales_owner_email: str
    sales_date_utc: datetime  # timezone-aware, UTC


# Where a stored sale's delivery stands (the outbox's ``state`` column).
class SaleState(str, Enum):
    PENDING = "pending"
    POSTING = "posting"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    RESOLVED = "resolved"  # an operator settled a failed/unknown sale by hand (python -m bot queue resolve)
