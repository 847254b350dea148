"""Which LeadSquared lead the salesperson meant: text -> ProspectId.

A ProspectId is taken as is (no call). An email goes to ``Leads.GetByEmailaddress``. A phone
goes to ``RetrieveLeadByPhoneNumber`` as plain digits first and then, if nothing matched, as
``+CC-NATIONAL`` (some tenants store, and match, only that form).

``LeadSquaredError`` propagates unchanged: the caller decides what to do with an outage.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache

from bot.domain.lead_text import lead_kind, phone_forms
from bot.domain.model import LeadRef
from bot.leadsquared.client import LeadSquaredClient

MAX_LISTED = 5

_COUNT_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}


class LeadNotResolved(Exception):
    """The text did not name exactly one lead. ``message`` is for an inline error on the lead field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def lead_label(record: dict) -> str:
    """ "First Last", falling back to the email, then the phone (then the ProspectID)."""
    name = " ".join(str(record.get(key) or "").strip() for key in ("FirstName", "LastName") if record.get(key)).strip()
    if name:
        return name
    for key in ("EmailAddress", "Phone", "Mobile", "ProspectID"):
        value = str(record.get(key) or "").strip()
        if value:
            return value
    return "(unnamed lead)"


def _prospect_id(record: dict) -> str | None:
    value = record.get("ProspectID") or record.get("ProspectId") or record.get("Id")
    value = str(value).strip() if value else ""
    return value or None


def _distinct(records: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for record in records:
        pid = _prospect_id(record)
        if pid and pid.lower() not in seen:
            seen[pid.lower()] = record
    return list(seen.values())


def _describe(record: dict, *, show_email: bool) -> str:
    label = lead_label(record)
    email = str(record.get("EmailAddress") or "").strip()
    if show_email and email and email.lower() != label.lower():
        return f"{label} ({email})"
    return f"{label} (ProspectId {_prospect_id(record)})"


def _too_many(records: list[dict], what: str, typed: str) -> LeadNotResolved:
    count = len(records)
    count_word = _COUNT_WORDS.get(count, str(count))
    show_email = what != "email"
    listed = ", ".join(_describe(r, show_email=show_email) for r in records[:MAX_LISTED])
    if count > MAX_LISTED:
        listed += f" and {count - MAX_LISTED} more"
    ask = "email or ProspectId" if what != "email" else "ProspectId"
    return LeadNotResolved(
        f"{count_word} leads have the {what} {typed}: {listed}. Enter the {ask} of the one you mean."
    )


def resolve_lead(text: str, client: LeadSquaredClient, *, default_country_code: str = "91") -> LeadRef:
    """The one lead ``text`` names, as a LeadRef with its ProspectId and a human label.

    Raises LeadNotResolved (with a friendly ``message``) for unrecognised text, no match or
    several matches. LeadSquaredError from the client propagates unchanged.
    """
    typed = (text or "").strip()
    kind = lead_kind(typed)
    if kind is None:
        if not typed:
            raise LeadNotResolved("Enter the lead's email, phone number or LeadSquared ProspectId.")
        raise LeadNotResolved(
            f"“{typed[:80]}” doesn't look like an email, a phone number or a LeadSquared ProspectId. "
            "Enter one of those for the lead."
        )
    if kind == "prospect_id":
        return LeadRef(text=typed, kind=kind, prospect_id=typed, label=None)

    if kind == "email":
        records = _distinct(client.leads_by_email(typed))
        if not records:
            raise LeadNotResolved(
                f"No lead in LeadSquared has the email {typed}. "
                "Check the spelling, or use their phone number or ProspectId."
            )
    else:
        records = []
        for form in phone_forms(typed, default_country_code):
            records = _distinct(client.leads_by_phone(form))
            if records:
                break
        if not records:
            raise LeadNotResolved(
                f"No lead in LeadSquared has the phone number {typed}. "
                "Check the number, or use their email or ProspectId."
            )
    if len(records) > 1:
        raise _too_many(records, "email" if kind == "email" else "phone", typed)
    record = records[0]
    return LeadRef(text=typed, kind=kind, prospect_id=_prospect_id(record), label=lead_label(record))


class LeadResolver:
    """resolve_lead with its cache (LeadSquared advises caching ProspectIDs), for Slack
    requests. Run ``resolve`` on a lookup pool and bound the wait: the call may outlast an ack."""

    def __init__(self, client: LeadSquaredClient, *, maxsize: int = 5000, ttl: float = 600):
        self.client = client
        self._cache: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def resolve(self, text: str) -> LeadRef:
        """Raises LeadNotResolved or LeadSquaredError like resolve_lead (failures aren't cached)."""
        key = text.strip().lower()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        lead = resolve_lead(text, self.client)
        with self._lock:
            self._cache[key] = lead
        return lead
