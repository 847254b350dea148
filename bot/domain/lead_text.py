"""What kind of lead reference a salesperson typed: a ProspectId, an email or a phone (pure text rules).

The ProspectId's shape lives here and only here.
"""

from __future__ import annotations

import re

PROSPECT_ID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
PHONE_RE = re.compile(r"^\(?\+?[0-9][0-9\s().-]*$")
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15
NATIONAL_DIGITS = 10


def lead_kind(text: str) -> str | None:
    """ "prospect_id", "email", "phone", or None when the text looks like none of them."""
    text = (text or "").strip()
    if not text:
        return None
    if PROSPECT_ID_RE.match(text):
        return "prospect_id"
    if EMAIL_RE.match(text):
        return "email"
    if PHONE_RE.match(text) and PHONE_MIN_DIGITS <= len(_digits(text)) <= PHONE_MAX_DIGITS:
        return "phone"
    return None


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def phone_forms(text: str, default_country_code: str = "91") -> list[str]:
    """The phone forms to try, in order: digits only, then "+CC-NATIONAL" (when there are >= 10 digits).

    NATIONAL is the last 10 digits; CC is whatever digits come before it (leading zeros of a
    trunk or "00" international prefix dropped), or ``default_country_code`` when none.
    """
    digits = _digits(text)
    forms = [digits]
    if len(digits) >= NATIONAL_DIGITS:
        national = digits[-NATIONAL_DIGITS:]
        country = digits[:-NATIONAL_DIGITS].lstrip("0") or _digits(default_country_code)
        if country:
            plus_form = f"+{country}-{national}"
            if plus_form not in forms:
                forms.append(plus_form)
    return forms
