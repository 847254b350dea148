"""Turn the sale date a salesperson typed into the UTC timestamp LeadSquared wants.

No Slack here: callers pass the user's IANA zone (Slack ``users.info`` ``tz``) and
Slack locale, and get back an aware UTC datetime or a :class:`SalesDateError` whose
``.message`` can be shown to the salesperson as is.

Design choices (also pinned by tests/unit/test_dates.py):

* Text without a zone is wall-clock time in the user's zone, using that zone's rules
  *for the date written* (zoneinfo does this), never "today's offset".
* Nonexistent local times (spring-forward gap) and ambiguous ones (fall-back fold) are
  resolved with ``fold=0``: a gap time is shifted forward by the gap (02:30 -> 03:30 EDT),
  an ambiguous time is the first occurrence (01:30 EDT, not 01:30 EST).
* A date without a time is 00:00 in its zone. "yesterday" alone keeps the current clock
  time; a bare weekday ("friday") is 00:00 on the most recent such day on or before today.
* Numeric dates are day-first except for the ``en-US`` Slack locale; a leading 4-digit
  year (ISO ``2026-11-12``) is always year-month-day.
* Written zones: numeric offsets, Z/UTC/GMT and the abbreviations in ``_ZONE_NAMES`` win
  over the user's zone. Ambiguous abbreviations (AST, CST-as-China, IST-as-Irish) mean
  what is in the table or are refused, so we never guess silently.
* Fixed-offset names are literal: "EST" is -05:00 even in July. "ET"/"PT"... follow DST.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as du_parser

from bot.domain.model import LEADSQUARED_DATE_FORMAT

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 100
EARLIEST_DATE = date(2000, 1, 1)  # anything older is a typo ("26/11/206")
FUTURE_ALLOWANCE = timedelta(days=1)  # "tomorrow morning IST" may be a few hours ahead of UTC
MAX_OFFSET = timedelta(hours=14)  # real offsets run from -12:00 to +14:00

# dateutil's own word lists (weekday names, filler words like "at"/"on", UTC aliases).
_PARSERINFO = du_parser.parserinfo()

# Abbreviation -> minutes east of UTC. Only names with one common meaning for our users.
_FIXED_OFFSETS = {
    # India first: IST is India, not Irish or Israel Standard Time.
    "IST": 330,
    "NPT": 345,
    "PKT": 300,
    # North America, literal (EST is -05:00 whatever the season).
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "HDT": -540,
    "NST": -210,
    "NDT": -150,
    # Europe and Africa.
    "BST": 60,
    "WET": 0,
    "WEST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "WAT": 60,
    "CAT": 120,
    "SAST": 120,
    "EAT": 180,
    # Gulf and Asia-Pacific.
    "GST": 240,
    "ICT": 420,
    "WIB": 420,
    "WITA": 480,
    "WIT": 540,
    "SGT": 480,
    "MYT": 480,
    "PHT": 480,
    "HKT": 480,
    "AWST": 480,
    "JST": 540,
    "KST": 540,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
}
# Names that mean "whatever is in force there on that date".
_REGIONAL_ZONES = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}
_ZONE_NAMES: dict[str, tzinfo] = {
    **{name: timezone(timedelta(minutes=m), name) for name, m in _FIXED_OFFSETS.items()},
    **{name: ZoneInfo(key) for name, key in _REGIONAL_ZONES.items()},
}

# dateutil reads "UTC+3"/"GMT+3" POSIX-style, i.e. as -03:00. People mean +03:00, and
# format_for_user prints "UTC+04:00", so drop the prefix and let the bare offset speak.
_UTC_PREFIX = re.compile(r"\b(?:UTC|GMT)\s*(?=[+-]\d)")
_LEADING_YEAR = re.compile(r"\d{4}\b")
_HIDDEN_CHAR_CATEGORIES = {"Cc", "Cf", "Cs"}  # control, invisible formatting, lone surrogates
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SalesDateError(ValueError):
    """The text can't be used as a sale date. ``message`` is written for the salesperson."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_sales_date(text: str, *, tz: str, locale: str | None = None, now: datetime | None = None) -> datetime:
    """Read ``text`` as the moment of the sale; return it as an aware UTC datetime.

    ``tz`` is the user's IANA zone (unknown/empty -> UTC), ``locale`` their Slack locale
    (only "en-US" reads 11/12 as November 12th), ``now`` an aware "current time" for tests.
    Seconds are kept, microseconds dropped. Raises SalesDateError and nothing else.
    """
    month_first = _is_month_first(locale)
    try:
        return _parse(text, _zone(tz), month_first, now)
    except SalesDateError:
        raise
    except Exception as exc:
        # Last line of defence: the salesperson gets a sentence, we get the stack trace.
        log.exception("Unexpected error reading sales date %r", text)
        shown = text if isinstance(text, str) and _is_printable(text) else "that"
        raise SalesDateError(_unreadable(shown[:MAX_TEXT_LENGTH], month_first)) from exc


def to_leadsquared(dt_utc: datetime) -> str:
    """LeadSquared's SalesDate wire format, in UTC: "2026-11-26 09:30:00"."""
    return _as_utc(dt_utc).strftime(LEADSQUARED_DATE_FORMAT)


def format_for_user(dt_utc: datetime, tz: str) -> str:
    """Unambiguous echo in the user's zone: "Thu 26 Nov 2026, 15:00 IST".

    The zone is shown by abbreviation only when parse_sales_date would read that
    abbreviation back as the same offset; otherwise (tzdata's "+04", Manila's "PST",
    Dublin's summer "IST") as "UTC+04:00". So the echo can be pasted back in safely.
    """
    local = _as_utc(dt_utc).astimezone(_zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {_zone_label(local)}"


# --- parsing ---------------------------------------------------------------------------


def _parse(text: str, zone: tzinfo, month_first: bool, now: datetime | None) -> datetime:
    now = datetime.now(timezone.utc) if now is None else _as_utc(now)
    cleaned = _clean(text, month_first)
    if cleaned.lower() in ("", "now"):
        return now.replace(microsecond=0)

    written = _read(cleaned, zone, month_first, now.astimezone(zone))

    if written.date() < EARLIEST_DATE:
        raise SalesDateError(
            f'"{cleaned}" reads as {_day(written)}, before the year 2000 — is the year a typo? '
            + _examples(month_first)
        )
    # The year check first: converting e.g. year 9999 to UTC could overflow.
    if written.year > now.year + 1 or written.astimezone(timezone.utc) > now + FUTURE_ALLOWANCE:
        raise SalesDateError(
            f'"{cleaned}" reads as {_day(written)}, which is in the future. '
            "Please use the date the sale happened — check the year and day/month order."
        )
    return written.astimezone(timezone.utc).replace(microsecond=0)


def _read(text: str, zone: tzinfo, month_first: bool, local_now: datetime) -> datetime:
    """Interpret cleaned text; returns an aware datetime in the zone that was written."""
    today = local_now.date()
    anchor = _find_day_word(text, today)
    if anchor is None:
        return _localize(_dateutil(text, _midnight(today), month_first), zone)

    day, phrase, weekday, rest = anchor
    if not rest:
        if phrase == "today":
            return local_now
        if phrase == "yesterday":  # same clock time yesterday
            return _localize(datetime.combine(day, local_now.time()), zone)
        return _localize(_midnight(day), zone)

    # The rest should only add a time (and maybe a zone) to the day the words name.
    parsed = _dateutil(rest, _midnight(day), month_first, shown=text)
    if parsed.date() == day:
        return _localize(parsed, zone)
    if weekday is None or phrase.startswith("last"):
        raise SalesDateError(
            f'"{text}" names two different days ("{phrase}" and {_day(parsed)}). '
            "Please use one of them. " + _examples(month_first)
        )
    if parsed.weekday() != weekday:
        raise SalesDateError(
            f'"{text}": {_day(parsed)} is a {_WEEKDAYS[parsed.weekday()]}, '
            f"not a {_WEEKDAYS[weekday]}. Which did you mean?"
        )
    return _localize(parsed, zone)  # "Fri 27 Nov 2026": a full date with its weekday


def _find_day_word(text: str, today: date) -> tuple[date, str, int | None, str] | None:
    """Find "today", "yesterday", "<weekday>" or "last <weekday>" anywhere in the text.

    Returns (the day they name, the words as typed, weekday number or None, the rest of
    the text), or None. dateutil has no such words (it reads "friday" as the *next* one).
    """
    tokens = text.split(" ")
    keys = [t.lower().strip(",.") for t in tokens]
    for i, key in enumerate(keys):
        if key in ("today", "yesterday"):
            day = today - timedelta(days=1 if key == "yesterday" else 0)
            return day, key, None, " ".join(tokens[:i] + tokens[i + 1 :])
        weekday = _PARSERINFO.weekday(key)  # dateutil's names: "fri", "friday", ...
        if weekday is None:
            continue
        last = i > 0 and keys[i - 1] == "last"
        days_back = (today.weekday() - weekday) % 7
        if last and days_back == 0:
            days_back = 7  # "last friday" said on a Friday is a week ago
        start = i - 1 if last else i
        phrase = " ".join(keys[start : i + 1])
        rest = " ".join(tokens[:start] + tokens[i + 1 :])
        return today - timedelta(days=days_back), phrase, weekday, rest
    return None


def _dateutil(text: str, default: datetime, month_first: bool, shown: str | None = None) -> datetime:
    """dateutil.parser.parse, strict (no fuzzy), with our zone names and error messages.

    Missing fields come from ``default`` (a local midnight), so "3pm" is today at 15:00
    and "26 Nov 2026" is 00:00. The result is naive unless a zone was written.
    ``shown`` is the whole text the user typed, for the error message.
    """
    # Upper-case so "ist"/"z" are seen as zones: dateutil only treats ALL-CAPS tokens
    # as zone names (month/weekday/am-pm lookups are case-insensitive anyway).
    upper = _UTC_PREFIX.sub("", text.upper())
    # dateutil with dayfirst=True reads "2026-11-12" as 11 Dec; ISO order must win.
    dayfirst = not month_first and not _LEADING_YEAR.match(upper)
    attempts = [upper]
    *head, last = upper.split(" ")
    if head and (last in _ZONE_NAMES or _PARSERINFO.utczone(last)):
        # dateutil only looks for a zone after a time, so "2026-11-26 IST" fails;
        # the fallback reads it as that date's midnight in that zone.
        attempts.append(" ".join([*head, "00:00", last]))
    first_error: Exception | None = None
    for attempt in attempts:
        try:
            return du_parser.parse(attempt, default=default, dayfirst=dayfirst, tzinfos=_tzinfo_for)
        except SalesDateError:
            raise
        except Exception as exc:  # ParserError, ValueError, OverflowError, ...: all unreadable
            first_error = first_error or exc
    raise SalesDateError(_unreadable(shown or text, month_first)) from first_error


def _tzinfo_for(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil ``tzinfos`` hook, called with the zone name and/or offset it found.

    Being a callable (not a dict) means dateutil never falls back to the *server's*
    local zone for a matching name, and never just warns (UnknownTimezoneWarning) and
    drops a zone it doesn't know: we decide every case here.
    """
    if name is not None and _PARSERINFO.jump(name):
        name = None  # "5PM ON friday": upper-casing made a filler word look like a zone
    if name is None:
        return None if offset is None else _offset_zone(offset)
    if _PARSERINFO.utczone(name):  # UTC, GMT, Z
        return timezone.utc
    zone = _ZONE_NAMES.get(name)
    if zone is None:
        raise SalesDateError(
            f'I don\'t know the time zone "{name}". Please use an offset instead, e.g. "26/11/2026 15:00 +05:30".'
        )
    if offset is not None and zone.utcoffset(None) != timedelta(seconds=offset):
        # "IST+5" or "-0300 (IST)": two zones that disagree, so we won't pick one.
        raise SalesDateError(
            f'The time zone "{name}" doesn\'t match the offset next to it. '
            'Please give just one, e.g. "15:00 IST" or "15:00 +05:30".'
        )
    return zone


def _offset_zone(seconds: int) -> tzinfo:
    offset = timedelta(seconds=seconds)
    if abs(offset) > MAX_OFFSET:
        raise SalesDateError(
            f"{_offset_text(offset)} isn't a real UTC offset (they run from -12:00 to +14:00). "
            'Try e.g. "26/11/2026 15:00 +05:30".'
        )
    return timezone(offset)


# --- helpers ---------------------------------------------------------------------------


def _clean(text: str | None, month_first: bool) -> str:
    """Trim and collapse whitespace; refuse over-long text and hidden characters."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise SalesDateError("I couldn't read that as a date. " + _examples(month_first))
    text = text.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise SalesDateError(
            f"That date is {len(text)} characters long; please keep it under "
            f"{MAX_TEXT_LENGTH}. " + _examples(month_first)
        )
    if not _is_printable(text):
        raise SalesDateError(
            "That date contains hidden control characters (perhaps from a copy-paste). "
            "Please retype it. " + _examples(month_first)
        )
    return " ".join(text.split())  # also turns non-breaking spaces into plain ones


def _is_printable(text: str) -> bool:
    return not any(unicodedata.category(ch) in _HIDDEN_CHAR_CATEGORIES for ch in text)


def _zone(tz: str | None) -> tzinfo:
    """The user's zone; anything zoneinfo can't load falls back to UTC."""
    if not isinstance(tz, str) or not tz.strip():
        return timezone.utc
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a directory
        log.warning("Unknown time zone %r, falling back to UTC", tz)
        return timezone.utc


def _localize(dt: datetime, zone: tzinfo) -> datetime:
    """Attach the user's zone to naive text. fold=0: gap -> shifted forward, fold -> first."""
    if dt.tzinfo is not None:
        return dt  # the text named its own zone or offset, which wins
    return dt.replace(tzinfo=zone, fold=0)


def _as_utc(dt: datetime) -> datetime:
    """Aware datetimes are converted; naive ones are taken to be UTC already."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _is_month_first(locale: str | None) -> bool:
    return isinstance(locale, str) and locale.replace("_", "-").strip().lower() == "en-us"


def _zone_label(local: datetime) -> str:
    """tzdata's abbreviation if it reads back as the same offset, else "UTC+04:00"."""
    abbr = local.tzname() or ""
    zone = timezone.utc if _PARSERINFO.utczone(abbr) else _ZONE_NAMES.get(abbr)
    naive = local.replace(tzinfo=None)
    if zone is not None and zone.utcoffset(naive) == local.utcoffset():
        return abbr
    return "UTC" + _offset_text(local.utcoffset() or timedelta(0))


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    hours, minutes = divmod(abs(minutes), 60)
    return f"{'-' if offset < timedelta(0) else '+'}{hours:02d}:{minutes:02d}"


def _day(dt: datetime) -> str:
    return f"{dt.day} {dt:%b} {dt.year}"


def _examples(month_first: bool) -> str:
    numeric = "11/26/2026 3pm" if month_first else "26/11/2026 15:00"
    return f'Try "{numeric}", "yesterday 5pm" or "2026-11-26 15:00 IST".'


def _unreadable(text: str, month_first: bool) -> str:
    return f'I couldn\'t read "{text}" as a date. ' + _examples(month_first)
