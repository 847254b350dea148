"""`/logsale priya@acme.in SKU-PRO won 12000 yesterday 5pm` -> a pre-filled form.

Tokens are placed by their shape, in any order: the lead (email, phone, ProspectId),
the status word, the first plain amount as revenue, a known SKU (or, failing that, the
first code-like token that is not date-ish) as the product; what is left is the date.
Nothing here is final: the modal shows the result and the validator has the last word.
"""

from __future__ import annotations

import re

from bot.domain.dates import MONTH_NAMES
from bot.domain.lead_text import lead_kind
from bot.domain.model import RawSale, canonical_status
from bot.domain.validation import parse_revenue

MAX_TEXT = 500
# Words and shapes that belong to a date, so they're never taken for a SKU.
DATE_WORDS = {
    "now", "today", "yesterday", "tomorrow", "tonight", "last", "this", "at", "on", "@", "am", "pm",
    "a.m.", "p.m.", "a.m", "p.m", "noon", "midday", "midnight", "morning", "afternoon", "evening", "night",
    "ago", "back", "the", "day", "before", "half", "a", "an", "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve", "hrs", "hr", "h", "hour", "hours", "min", "mins",
    "minute", "minutes", "days", "week", "weeks",
    "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs", "thursday",
    "fri", "friday", "sat", "saturday", "sun", "sunday",
} | MONTH_NAMES  # fmt: skip
DATEISH_RE = re.compile(
    # 3pm, 15:00, 3.30pm, 15h30, 2hrs, 26/11, 26.11.2026, 2026-11-26, +05:30, IST/EST…
    # — but not 2500.50 (an amount).
    r"^(\d{1,2}([:.]\d{2}){0,2}\s*(am|pm|[ap]\.m\.?)?|\d{1,2}h\d{2}|\d{1,4}(hrs?|h|mins?|d)"
    r"|\d{1,2}[/.-]\d{1,2}|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}"
    r"|[+-]\d{2}:?\d{2}|[a-z]{2,5}t|z|utc|gmt)$",
    re.IGNORECASE,
)
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")
MONTH_WORDS = MONTH_NAMES
TIME_UNITS = {"min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "day", "days", "week", "weeks"}
YEAR_RE = re.compile(r"^(19|20)\d{2}$")
MONEY_RE = re.compile(r"^[\d,]+\.\d{1,2}$")  # 12345678.90: an amount, even with 10 digits


def parse_one_line(text: str, known_skus: set[str] | frozenset[str] = frozenset()) -> RawSale:
    tokens = text[:MAX_TEXT].split()
    known = {sku.lower(): sku for sku in known_skus}
    lead = status = revenue = sku = ""
    rest: list[str] = []
    for i, token in enumerate(tokens):
        bare = token.strip(",;")
        lowered = bare.lower()
        if not lead and lead_kind(bare) is not None and not _short_number(bare) and not MONEY_RE.match(bare):
            lead = bare
        elif not status and canonical_status(lowered):
            status = canonical_status(lowered)
        elif not sku and lowered in known:
            sku = known[lowered]
        elif not revenue and _amount(bare) and not _year_of_date(tokens, i) and not _count_of_time(tokens, i):
            revenue = bare.replace(",", "")
        else:
            rest.append(token)
    if not sku:
        for i, token in enumerate(rest):
            if _code_like(token.strip(",;")):  # "SKU-PRO," in a comma-separated line
                sku = rest.pop(i).strip(",;")
                break
    return RawSale(lead=lead, product_sku=sku, status=status, revenue=revenue, sales_date=" ".join(rest))


def _short_number(token: str) -> bool:
    """Amounts like 12000 look like short phone numbers; real phones have 10+ digits."""
    digits = re.sub(r"\D", "", token)
    return not token.startswith("+") and len(digits) < 10 and "@" not in token


def _amount(token: str) -> bool:
    # "26" or "5" alone read as part of a date ("26 Nov", "5 pm"), not as revenue.
    return parse_revenue(token) is not None and not DATEISH_RE.match(token)


def _year_of_date(tokens: list[str], i: int) -> bool:
    """2026 in "26 Nov 2026" or "Nov 26, 2026": a year next to a month name, not revenue."""
    if not YEAR_RE.match(tokens[i].strip(",;")):
        return False
    near = tokens[max(0, i - 2) : i] + tokens[i + 1 : i + 3]
    return any(t.strip(",;.").lower() in MONTH_WORDS for t in near)


def _count_of_time(tokens: list[str], i: int) -> bool:
    """120 in "120 minutes ago" or 1530 in "1530 hrs": part of the date, not revenue."""
    after = [t.strip(",;.").lower() for t in tokens[i + 1 : i + 3]] + ["", ""]
    if after[0] in TIME_UNITS and after[1] in ("ago", "back"):
        return True
    return after[0] in ("hrs", "hr", "h", "hours") and re.fullmatch(r"\d{3,4}", tokens[i]) is not None


def _code_like(token: str) -> bool:
    lowered = token.lower()
    if lowered in DATE_WORDS or DATEISH_RE.match(token) or not SKU_RE.match(token):
        return False
    return any(ch.isalpha() for ch in token)
