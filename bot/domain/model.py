"""Plain data the rest of the bot passes around. No Slack, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum

from bot.domain.dates import MAX_TEXT_LENGTH as MAX_DATE_TEXT

STATUSES = ("Open", "Won", "Lost")
STATUSES_IN_WORDS = ", ".join(STATUSES[:-1]) + " or " + STATUSES[-1]  # "Open, Won or Lost"


def canonical_status(text: str) -> str | None:
    """One of STATUSES, however it was capitalised or padded; None for anything else."""
    lowered = (text or "").strip().lower()
    return next((s for s in STATUSES if s.lower() == lowered), None)


# The longest text each field takes (the validator refuses more; the form never prefills more).
MAX_LEAD = 200
MAX_SKU = 100
MAX_EMAIL = 254


class Entry(str, Enum):
    """How a field is entered on the form; the modal picks the Block Kit element from it."""

    SEARCH = "search"  # typed, or picked from a search list when search is on
    CHOICE = "choice"  # one of ``choices``
    DECIMAL = "decimal"  # a number, decimals allowed, not negative
    EMAIL = "email"
    TEXT = "text"


@dataclass(frozen=True)
class FormField:
    """One field of the sale as the form asks for it: the field's name is its block_id and action_id."""

    label: str
    entry: Entry
    placeholder: str | None = None
    hint: str | None = None  # "{tz}" stands for the salesperson's time zone
    optional: bool = False
    longest: int | None = None  # the longest prefill kept; for TEXT also the most that can be typed
    choices: tuple[str, ...] = ()
    search_placeholder: str | None = None
    shortest_search: int = 1  # characters typed before the search list asks us
    picked_label: str | None = None  # the RawSale field that keeps the picked option's text
    name: str = ""  # filled in from the RawSale field it annotates


def _asked(form: FormField) -> str:
    return field(default="", metadata={"form": form})


@dataclass(frozen=True)
class RawSale:
    """Exactly what the salesperson typed, field by field: the one table of the sale's fields.

    Each field the form asks for carries its :class:`FormField` (label, kind of entry, hints);
    the modal's blocks, ``FORM_FIELDS`` and the modal's reader all come from it, in this order.
    Kept verbatim so a failed sale can reopen the modal pre-filled with it. ``lead_label`` and
    ``product_label`` are the texts of the options picked in the search fields ("Priya Shah ·
    priya@acme.in · 98765…", "SKU-PRO · Pro plan"); "" when the value was typed or pre-filled.
    They ride in the stored ``raw`` JSON, so messages and Edit & retry show what was picked.
    """

    lead: str = _asked(
        FormField(
            "Lead (who bought)",
            Entry.SEARCH,
            placeholder="priya@acme.in, +91 98765 43210",
            hint="Search by name, email or phone — or paste the LeadSquared ProspectId.",
            longest=MAX_LEAD,
            search_placeholder="Type a name, email or phone",
            shortest_search=2,
            picked_label="lead_label",
        )
    )
    product_sku: str = _asked(
        FormField(
            "Product SKU",
            Entry.SEARCH,
            placeholder="SKU-PRO",
            longest=MAX_SKU,
            search_placeholder="Type a SKU or product name",
            picked_label="product_label",
        )
    )
    status: str = _asked(FormField("Status", Entry.CHOICE, placeholder=STATUSES_IN_WORDS, choices=STATUSES))
    revenue: str = _asked(FormField("Revenue", Entry.DECIMAL, placeholder="e.g. 12000 or 12000.50"))
    sales_owner: str = _asked(
        FormField("Sales owner (LeadSquared user email)", Entry.EMAIL, placeholder="you@company.com", longest=MAX_EMAIL)
    )
    sales_date: str = _asked(
        FormField(
            "Date of sale",
            Entry.TEXT,
            optional=True,
            longest=MAX_DATE_TEXT,
            placeholder="empty = now · yesterday 3.30pm · 2 hours ago · this morning · 26 Nov 15:30",
            hint="Read in your Slack time zone ({tz}) unless you add one: +05:30, EST… "
            "(IST, CST, PST mean what they mean in your zone, else give the offset). "
            "This morning = 09:00, afternoon 14:00, evening 18:00, tonight 20:00.",
        )
    )
    lead_label: str = ""
    product_label: str = ""

    def to_dict(self) -> dict[str, str]:
        # Every field is a str, so this is asdict() without its deep copy (a tenth of the time).
        return {name: getattr(self, name) for name in _RAW_SALE_FIELDS}

    @classmethod
    def from_dict(cls, data: dict | None) -> RawSale:
        data = data or {}
        return cls(**{f.name: str(data.get(f.name) or "") for f in fields(cls)})


_RAW_SALE_FIELDS = tuple(f.name for f in fields(RawSale))


# The fields the form asks for, in order (their names are the modal's block_ids).
FORM_FIELDS: tuple[FormField, ...] = tuple(
    replace(f.metadata["form"], name=f.name) for f in fields(RawSale) if "form" in f.metadata
)


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
