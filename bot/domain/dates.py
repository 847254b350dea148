"""Turn the sale date a salesperson typed into the UTC timestamp LeadSquared wants.

No Slack here: callers pass the user's IANA zone (Slack ``users.info`` ``tz``) and
Slack locale, and get back an aware UTC datetime or a :class:`SalesDateError` whose
``.message`` can be shown to the salesperson as is.

Design choices (also pinned by tests/unit/domain/test_dates*.py and tests/data/typed_dates.csv):

* dateutil is the parser core; the words and shapes it lacks are rewritten first
  (``_normalise``) or read around it (``_read``): dot times ("3.30pm", "15.30"),
  "a.m."/"p.m.", "1530 hrs", noon/midnight, "N minutes/hours/days/weeks ago", parts of
  the day (morning 09:00, afternoon 14:00, evening 18:00, night 20:00), tomorrow.
* Text without a zone is wall-clock time in the user's zone, using that zone's rules
  *for the date written* (zoneinfo does this), never "today's offset".
* Nonexistent local times (spring-forward gap) and ambiguous ones (fall-back fold) are
  resolved with ``fold=0``: a gap time is shifted forward by the gap (02:30 -> 03:30 EDT),
  an ambiguous time is the first occurrence (01:30 EDT, not 01:30 EST).
* A date without a time is 00:00 in its zone. "yesterday" and "2 days ago" alone keep the
  current clock time; a bare weekday ("friday") is 00:00 on the most recent such day on or
  before today; "tomorrow" alone is 00:00 tomorrow.
* Numeric dates are day-first except for the ``en-US`` Slack locale; a leading 4-digit
  year (ISO ``2026-11-12``) is always year-month-day.
* Written zones: numeric offsets and Z/UTC/GMT win over the user's zone. An abbreviation
  means what it means in the user's own zone (tzdata: CST in Asia/Shanghai is +08:00, IST
  in Europe/Dublin +01:00); otherwise one with several meanings (``_AMBIGUOUS``) takes the
  one of the user's country, or is refused with the choices spelled out; the rest come
  from ``_FIXED_OFFSETS``/``_REGIONAL_ZONES``. We never guess silently.
* Fixed-offset names are literal: "EST" is -05:00 even in July. "ET"/"PT"... follow DST.
* Nothing the person typed is dropped: a word we can't place, two times, or a time that
  contradicts "this morning" is an error that names it.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import os
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as du_parser

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 100
EARLIEST_DATE = date(2000, 1, 1)  # anything older is a typo ("26/11/206")
FUTURE_ALLOWANCE = timedelta(days=1)  # "tomorrow morning IST" may be a few hours ahead of UTC
MAX_OFFSET = timedelta(hours=14)  # real offsets run from -12:00 to +14:00

# dateutil's own word lists (weekday names, filler words like "at"/"on", UTC aliases).
_PARSERINFO = du_parser.parserinfo()

# Abbreviation -> minutes east of UTC, for names with one common meaning. Names with
# several (IST, CST, PST, BST, GST, AST) are in _AMBIGUOUS instead.
_FIXED_OFFSETS = {
    "NPT": 345,
    "PKT": 300,
    # North America, literal (EST is -05:00 whatever the season).
    "EST": -300,
    "EDT": -240,
    "MST": -420,
    "MDT": -360,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "HDT": -540,
    "NST": -210,
    "NDT": -150,
    "ADT": -180,
    # Europe and Africa.
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
    # Asia-Pacific.
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


@dataclass(frozen=True)
class _Meaning:
    where: str  # for the error message
    minutes: int  # east of UTC
    countries: frozenset[str]  # ISO 3166 codes (tzdata zone.tab) where this is the meaning


def _meaning(where: str, minutes: int, countries: str) -> _Meaning:
    return _Meaning(where, minutes, frozenset(countries.split()))


_AMERICAS_CENTRAL = "US CA MX GT BZ SV HN NI CR"
_CARIBBEAN_ATLANTIC = "CA PR VI BM AG AI AW BB BL BQ CW DM DO GD GP KN LC MF MQ MS SX TT VC VG"
# Abbreviations people use for more than one zone. A user whose own zone (tzdata) or
# country has exactly one of these meanings gets it; anyone else is asked to choose.
_AMBIGUOUS: dict[str, tuple[_Meaning, ...]] = {
    "IST": (_meaning("India", 330, "IN"), _meaning("Ireland", 60, "IE"), _meaning("Israel", 120, "IL")),
    "CST": (
        _meaning("US Central", -360, _AMERICAS_CENTRAL),
        _meaning("China", 480, "CN TW MO"),
        _meaning("Cuba", -300, "CU"),
    ),
    "CDT": (_meaning("US Central daylight", -300, _AMERICAS_CENTRAL), _meaning("Cuba daylight", -240, "CU")),
    "PST": (_meaning("US Pacific", -480, "US CA MX"), _meaning("Philippines", 480, "PH")),
    "BST": (_meaning("British Summer Time", 60, "GB IM JE GG"), _meaning("Bangladesh", 360, "BD")),
    "GST": (_meaning("Gulf", 240, "AE OM"), _meaning("South Georgia", -120, "GS")),
    "AST": (_meaning("Atlantic", -240, _CARIBBEAN_ATLANTIC), _meaning("Arabia", 180, "SA IQ KW QA BH YE")),
}
# Table names some zone has used with another offset since 2000 (Moscow's MSK was +04:00
# in 2011-14, Pyongyang's KST +08:30 in 2015-18): echoed with their offset. A test checks
# every other table name against all of tzdata.
_NOT_UNIVERSAL = {"MSK", "KST"}
# Which years of tzdata count as a zone's "own" abbreviations (MSK was +04:00 in 2011-14).
_OWN_NAMES_SPAN = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2038, 1, 1, tzinfo=timezone.utc))

# dateutil reads "UTC+3"/"GMT+3" POSIX-style, i.e. as -03:00. People mean +03:00, and
# format_for_user prints "UTC+04:00", so drop the prefix and let the bare offset speak.
_UTC_PREFIX = re.compile(r"\b(?:UTC|GMT)\s*(?=[+-]\d)")
# "15:00 IST (UTC+05:30)", as format_for_user writes it: dateutil reads "IST +05:30".
_OFFSET_IN_BRACKETS = re.compile(r"\(\s*([+-]\d{1,2}(?::?\d{2})?)\s*\)")
_LEADING_YEAR = re.compile(r"\d{4}\b")
_HIDDEN_CHAR_CATEGORIES = {"Cc", "Cf", "Cs"}  # control, invisible formatting, lone surrogates
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# --- the shapes dateutil doesn't read, rewritten before it sees them -------------------
_AM_PM_DOTS = re.compile(r"(?<![a-z])([ap])\.\s?m\b\.?", re.IGNORECASE)  # "p.m." -> "pm"
_HOURS_SUFFIX = re.compile(  # "1530 hrs", "15.30 hrs" -- but "120 hrs ago" is a length
    r"\b(\d{1,2})[.:]?(\d{2})\s?(?:hrs|hours|hr|h)\b\.?(?!\s*(?:ago|back)\b)", re.IGNORECASE
)
_NOON = re.compile(r"\b(?:12(?::00)?\s?)?(?:noon|midday)\b", re.IGNORECASE)
_MIDNIGHT = re.compile(r"\b(?:12\s?)?midnight\b", re.IGNORECASE)
_DOT_PAIR = re.compile(r"^(\d{1,2})\.(\d{1,2})(am|pm)?$", re.IGNORECASE)  # 3.30pm, 15.30, 26.11, 11.12
_TIME_TOKEN = re.compile(r"^\d{1,2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?(?:am|pm)?|am|pm)$", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"^(?:\d{1,4}[/.-]\d{1,4}(?:[/.-]\d{1,4})?|\d{4}|\d{8}|\d{4}-\d{2}-\d{2}t.*)$", re.IGNORECASE)
_RANGE_WORDS = {"and", "or", "till", "until", "between", "&", "-", "–"}
# Month names and abbreviations as dateutil reads them ("sept" too): one_line.py uses them as well.
MONTH_NAMES = frozenset(name.lower() for names in du_parser.parserinfo.MONTHS for name in names)

_UNIT_WORDS = {
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours",
    "h": "hours", "day": "days", "days": "days", "d": "days", "week": "weeks", "weeks": "weeks",
}  # fmt: skip
_COUNT_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_AGO = re.compile(
    r"\b(?P<count>\d{1,6}|"
    + "|".join(_COUNT_WORDS)
    + r"|half an)\s*(?P<unit>"
    + "|".join(_UNIT_WORDS)
    + r")\s+(?:ago|back)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _PartOfDay:
    name: str
    default: time  # "this morning" alone
    start: int  # hours in which a written time fits this part, [start, end)
    end: int


_PARTS_OF_DAY = {
    "morning": _PartOfDay("morning", time(9), 4, 12),
    "afternoon": _PartOfDay("afternoon", time(14), 12, 18),
    "evening": _PartOfDay("evening", time(18), 16, 24),
    "night": _PartOfDay("night", time(20), 18, 24),
}


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


def format_for_user(dt_utc: datetime, tz: str) -> str:
    """Unambiguous echo in the user's zone: "Thu 26 Nov 2026, 15:00 IST".

    The zone is shown by abbreviation only when parse_sales_date, for this same user,
    would read that abbreviation back as the same offset; otherwise (tzdata's "+04", an
    abbreviation used twice around a change) as "UTC+04:00". So the echo can be pasted
    back in safely; someone in another zone gets the same instant or a question, never
    a different instant.
    """
    zone = _zone(tz)
    local = _as_utc(dt_utc).astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {_zone_label(local, zone)}"


# --- parsing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Anchor:
    """A day named in words: "yesterday", "last friday", "2 days ago", "this morning"."""

    day: date
    phrase: str  # the words, lower-case
    weekday: int | None  # for "friday": the full date written next to it must be one
    rest: str  # everything else in the text
    part: _PartOfDay | None = None  # "yesterday evening"
    keeps_clock: bool = False  # "yesterday" alone is this time yesterday


def _parse(text: str, zone: tzinfo, month_first: bool, now: datetime | None) -> datetime:
    now = datetime.now(timezone.utc) if now is None else _as_utc(now)
    cleaned = _clean(text, month_first)
    if cleaned.lower() in ("", "now", "just now", "right now"):
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
            f'"{cleaned}" reads as {_day(written)} {written:%H:%M}, which is in the future. '
            "Please use the date the sale happened — check the year and day/month order."
        )
    return written.astimezone(timezone.utc).replace(microsecond=0)


def _read(shown: str, zone: tzinfo, month_first: bool, local_now: datetime) -> datetime:
    """Interpret cleaned text; returns an aware datetime in the zone that was written."""
    text = _normalise(shown, month_first)
    ago = _AGO.search(text)
    if ago and _UNIT_WORDS[ago["unit"].lower()] in ("minutes", "hours"):
        rest = " ".join((text[: ago.start()] + " " + text[ago.end() :]).split())
        if rest:
            raise SalesDateError(
                f'"{shown}": "{ago[0]}" already says when, so I can\'t also use "{rest}". Please give one of them.'
            )
        return local_now.astimezone(timezone.utc) - _ago_length(ago, shown)

    leftover = (text[: ago.start()] + " " + text[ago.end() :]) if ago else text
    leftover = re.sub(r"\bday before yesterday\b", " ", leftover, flags=re.IGNORECASE)
    unit = next((word for word in leftover.lower().split() if word in _UNIT_WORDS), None)
    if unit:  # dateutil would read "yesterday 2 hours" as 02:00
        raise SalesDateError(
            f'"{shown}": I can\'t place "{unit}" (did you mean "… {unit} ago"?). ' + _examples(month_first)
        )

    today = local_now.date()
    anchor = _find_day_word(text, today, shown)
    if anchor is None:
        parsed = _dateutil(text, _midnight(today), month_first, zone, shown)
        _require_a_day(text, parsed, today, month_first, zone, shown)
        return _localize(parsed, zone)

    if not anchor.rest:
        if anchor.part is not None:
            return _localize(datetime.combine(anchor.day, anchor.part.default), zone)
        if anchor.phrase == "today":
            return local_now
        if anchor.keeps_clock:  # same clock time that day
            return _localize(datetime.combine(anchor.day, local_now.time()), zone)
        return _localize(_midnight(anchor.day), zone)

    rest = anchor.rest
    bare_hour = re.fullmatch(r"(?:at\s+)?(\d{1,2})", rest, re.IGNORECASE)
    if bare_hour:
        if anchor.part is None:
            hour = bare_hour[1]
            raise SalesDateError(
                f'"{shown}": is {hour} in the morning or the afternoon? '
                f'Please write e.g. "{anchor.phrase} {hour}pm" or "{anchor.phrase} {hour}:00".'
            )
        rest += ":00"  # "tonight 11": the part of the day says which 11

    # The rest should only add a time (and maybe a zone) to the day the words name.
    parsed = _dateutil(rest, _midnight(anchor.day), month_first, zone, shown)
    if anchor.part is not None:
        parsed = _fit_part_of_day(parsed, anchor, rest, month_first, zone, shown)
    if parsed.date() == anchor.day:
        return _localize(parsed, zone)
    if anchor.weekday is None or anchor.phrase.startswith("last"):
        raise SalesDateError(
            f'"{shown}" names two different days ("{anchor.phrase}" and {_day(parsed)}). '
            "Please use one of them. " + _examples(month_first)
        )
    if parsed.weekday() != anchor.weekday:
        raise SalesDateError(
            f'"{shown}": {_day(parsed)} is a {_WEEKDAYS[parsed.weekday()]}, '
            f"not a {_WEEKDAYS[anchor.weekday]}. Which did you mean?"
        )
    return _localize(parsed, zone)  # "Fri 27 Nov 2026": a full date with its weekday


def _require_a_day(text: str, parsed: datetime, today: date, month_first: bool, zone: tzinfo, shown: str) -> None:
    """ "Nov" or "2026" alone would get today's day of the month from dateutil: ask instead.

    (A time alone, "3pm", is today: no date part was written at all.)
    """
    if parsed.year < EARLIEST_DATE.year:
        return  # "1230": the year check says more
    other_day = today.replace(day=1 if today.day != 1 else 2)
    if _dateutil(text, _midnight(other_day), month_first, zone, shown).day == parsed.day:
        return  # the day was written
    if any(_DATE_TOKEN.match(token) or token in MONTH_NAMES for token in text.lower().replace(",", " ").split()):
        raise SalesDateError(f'"{shown}": which day? Please add it, e.g. "26 Nov 2026 15:00".')


def _fit_part_of_day(
    parsed: datetime, anchor: _Anchor, rest: str, month_first: bool, zone: tzinfo, shown: str
) -> datetime:
    """ "yesterday evening" + the rest: no time -> 18:00; "7.30" -> 19:30; "9am" -> error."""
    part = anchor.part
    assert part is not None
    late = _dateutil(rest, datetime.combine(anchor.day, time(23, 59)), month_first, zone, shown)
    if late.hour != parsed.hour:  # the rest has no time of its own
        return parsed.replace(hour=part.default.hour, minute=part.default.minute)
    has_am_pm = re.search(r"(?:\d|\s)(?:am|pm)\b", rest, re.IGNORECASE)
    if not has_am_pm and part.start >= 12 and 1 <= parsed.hour < 12:
        parsed = parsed.replace(hour=parsed.hour + 12)  # "this evening 7.30" is 19:30
    if not part.start <= parsed.hour < part.end:
        raise SalesDateError(
            f'"{shown}": {parsed:%H:%M} isn\'t in the {part.name}. '
            f'Please give just one of them, e.g. "{anchor.phrase}" or "{_day(parsed)} {parsed:%H:%M}".'
        )
    return parsed


def _find_day_word(text: str, today: date, shown: str) -> _Anchor | None:
    """Find the words that name a day, anywhere in the text.

    "today", "yesterday", "tomorrow", "tonight", "this morning", "last night",
    "<weekday>", "last <weekday>", "N days/weeks ago", each optionally followed by a part
    of the day ("friday evening"). dateutil has no such words (it reads "friday" as the
    *next* one).
    """
    ago = _AGO.search(text)  # only days/weeks get here; minutes/hours were handled
    if ago:
        days = _ago_length(ago, shown).days
        if days > (today - EARLIEST_DATE).days:
            raise SalesDateError(f'"{shown}" is before the year 2000. Please give the date, e.g. "26/11/2026 15:00".')
        rest = " ".join((text[: ago.start()] + " " + text[ago.end() :]).split())
        return _Anchor(today - timedelta(days=days), ago[0].lower(), None, rest, keeps_clock=True)

    tokens = text.split(" ")
    keys = [t.lower().strip(",.") for t in tokens]
    for i, key in enumerate(keys):
        following = keys[i + 1] if i + 1 < len(keys) else ""
        start, end, weekday, part = i, i + 1, None, None
        if key in ("today", "yesterday", "tomorrow"):
            day = today + timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[key])
        elif key == "day" and keys[i + 1 : i + 3] == ["before", "yesterday"]:
            start = i - 1 if i > 0 and keys[i - 1] == "the" else i
            day, end = today - timedelta(days=2), i + 3
        elif key == "tonight":
            day, part = today, _PARTS_OF_DAY["night"]
        elif key == "this" and following in _PARTS_OF_DAY:
            day, part, end = today, _PARTS_OF_DAY[following], i + 2
        elif key == "last" and following == "night":
            day, part, end = today - timedelta(days=1), _PARTS_OF_DAY["night"], i + 2
        else:
            weekday = _PARSERINFO.weekday(key)  # dateutil's names: "fri", "friday", ...
            if weekday is None:
                continue
            last = i > 0 and keys[i - 1] == "last"
            days_back = (today.weekday() - weekday) % 7
            if last and days_back == 0:
                days_back = 7  # "last friday" said on a Friday is a week ago
            start = i - 1 if last else i
            day = today - timedelta(days=days_back)
        if part is None and end < len(keys) and keys[end] in _PARTS_OF_DAY:
            part = _PARTS_OF_DAY[keys[end]]
            end += 1
        phrase = " ".join(keys[start:end])
        rest = " ".join(tokens[:start] + tokens[end:])
        return _Anchor(day, phrase, weekday, rest, part, keeps_clock=phrase.endswith("yesterday"))
    return None


def _ago_length(match: re.Match[str], shown: str) -> timedelta:
    count_text, unit = match["count"].lower(), _UNIT_WORDS[match["unit"].lower()]
    if count_text == "half an":
        if unit != "hours":
            raise SalesDateError(f'"{shown}": please say how long ago in minutes, hours or days, e.g. "2 days ago".')
        return timedelta(minutes=30)
    count = _COUNT_WORDS.get(count_text) or int(count_text)
    per_unit = {"minutes": 1, "hours": 60, "days": 24 * 60, "weeks": 7 * 24 * 60}[unit]
    minutes = count * per_unit
    if minutes > 30 * 366 * 24 * 60:  # 30 years: past our earliest date, and safe from overflow
        raise SalesDateError(f'"{shown}" is before the year 2000. Please give the date, e.g. "26/11/2026 15:00".')
    return timedelta(minutes=minutes)


def _normalise(shown: str, month_first: bool) -> str:
    """Rewrite what people type into what dateutil reads; refuse what has two readings."""
    text = _AM_PM_DOTS.sub(lambda m: m[1].lower() + "m", shown)  # "3 p.m." -> "3 pm"
    text = _HOURS_SUFFIX.sub(lambda m: f"{m[1]}:{m[2]}", text)  # "1530 hrs" -> "15:30"
    text = _NOON.sub("12:00", text)
    if _MIDNIGHT.search(text):
        if any(_is_date_token(token) for token in _MIDNIGHT.sub(" ", text).split()):
            raise SalesDateError(
                f'"{shown}": midnight could be the start of that day (00:00) or its end (the next day\'s '
                '00:00). Please write the time, e.g. "25/11/2026 23:59" or "26/11/2026 00:00".'
            )
        text = _MIDNIGHT.sub("00:00", text)  # "midnight" alone: the one that just passed
    tokens = ["at" if token == "@" else token for token in text.split()]  # "yesterday @ 3pm"
    tokens = _dot_times(tokens, shown, month_first)

    times = [_with_am_pm(tokens, i) for i in range(len(tokens)) if _is_time_token(tokens, i)]
    if len(times) > 1:
        raise SalesDateError(f'"{shown}" has two times ({times[0]} and {times[1]}). Please give just one.')
    # dateutil reads a second year as a time ("Nov 26 2025 2026" -> 20:26) and "3pm and 4" as the 4th.
    years = [token for token in tokens if re.fullmatch(r"(?:19|20)\d{2},?", token)]
    if len(years) > 1:
        raise SalesDateError(f'"{shown}" has two years ({years[0]} and {years[1]}). Please give just one.')
    joiner = next((token for token in tokens if token.lower() in _RANGE_WORDS), None)
    if joiner:
        raise SalesDateError(
            f'"{shown}": "{joiner}" sounds like two dates or times. Please give just one. ' + _examples(month_first)
        )
    return " ".join(tokens)


def _dot_times(tokens: list[str], shown: str, month_first: bool) -> list[str]:
    """Two numbers joined by a dot: a time ("3.30pm", "15.30") or a date ("26.11", "3.5").

    dateutil reads "3.5" as the 3rd of *this* month and "3.5pm" as 15:00, dropping the
    rest, so every such token is rewritten to "3:30pm"/"26/11" or refused. "11.12" could
    be either: another time in the text makes it the date, another date makes it the time.
    """
    keys = [t.lower().rstrip(",") for t in tokens]
    kinds: list[str | None] = []  # "time", "date", "both", or None (not a dot pair)
    for i, key in enumerate(keys):
        match = _DOT_PAIR.match(key)
        if not match:
            kinds.append(None)
            continue
        hour, minute = int(match[1]), int(match[2])
        two_digit_minutes = len(match[2]) == 2
        suffix = match[3] or (keys[i + 1] if i + 1 < len(keys) and keys[i + 1] in ("am", "pm") else "")
        if suffix:
            if not two_digit_minutes:
                raise SalesDateError(
                    f'"{shown}": please write the minutes of "{key}" with two digits, e.g. '
                    f'"{hour}:0{minute}{suffix}" or "{hour}:{minute}0{suffix}".'
                )
            kinds.append("time")  # dateutil refuses "13:30pm" itself
            continue
        as_time = two_digit_minutes and hour <= 23 and minute <= 59
        day, month = (minute, hour) if month_first else (hour, minute)
        as_date = 1 <= day <= 31 and 1 <= month <= 12
        if not (as_time or as_date):
            raise SalesDateError(f'"{shown}": I can\'t read "{key}" as a time or a date. ' + _examples(month_first))
        kinds.append("both" if as_time and as_date else "time" if as_time else "date")

    result = list(tokens)
    for i, kind in enumerate(kinds):
        if kind == "both":
            others = [j for j in range(len(tokens)) if j != i]
            other_time = any(kinds[j] == "time" or _is_time_token(tokens, j) for j in others)
            other_date = any(kinds[j] == "date" or (kinds[j] is None and _is_date_token(tokens[j])) for j in others)
            if other_date and not other_time:
                kind = "time"
            elif other_time and not other_date:
                kind = "date"
            else:
                hour, minute = (int(n) for n in keys[i].split("."))
                day, month = (minute, hour) if month_first else (hour, minute)
                as_date = f"{day} {date(2000, month, 1):%b}"
                raise SalesDateError(
                    f'"{shown}": "{keys[i]}" could be the time {hour:02d}:{minute:02d} or the date {as_date}. '
                    f'Please write "{hour}:{minute:02d}" for the time or "{as_date}" for the date.'
                )
        if kind == "time":
            result[i] = tokens[i].replace(".", ":", 1)
        elif kind == "date":
            result[i] = tokens[i].replace(".", "/", 1)
    return result


def _with_am_pm(tokens: list[str], i: int) -> str:
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    return f"{tokens[i]} {following}" if following.lower() in ("am", "pm") else tokens[i]


def _is_time_token(tokens: list[str], i: int) -> bool:
    token = tokens[i].rstrip(",")
    if _TIME_TOKEN.match(token):
        return True
    following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    return bool(re.fullmatch(r"\d{1,2}(?::\d{2})?", token)) and following in ("am", "pm")


def _is_date_token(token: str) -> bool:
    """A token that names a day by itself: 26/11, 2026, Nov, friday, yesterday..."""
    key = token.lower().strip(",.")
    return bool(
        _DATE_TOKEN.match(key)
        or key in MONTH_NAMES
        or key in ("today", "yesterday", "tomorrow", "tonight", "ago", "this", "last")
        or key in _PARTS_OF_DAY
        or _PARSERINFO.weekday(key) is not None
    )


def _dateutil(text: str, default: datetime, month_first: bool, user_zone: tzinfo, shown: str) -> datetime:
    """dateutil.parser.parse, strict (no fuzzy), with our zone names and error messages.

    Missing fields come from ``default`` (a local midnight), so "3pm" is today at 15:00
    and "26 Nov 2026" is 00:00. The result is naive unless a zone was written.
    ``shown`` is the whole text the user typed, for the error message.
    """
    # Upper-case so "ist"/"z" are seen as zones: dateutil only treats ALL-CAPS tokens
    # as zone names (month/weekday/am-pm lookups are case-insensitive anyway).
    upper = _OFFSET_IN_BRACKETS.sub(r"\1", _UTC_PREFIX.sub("", text.upper()))
    # dateutil with dayfirst=True reads "2026-11-12" as 11 Dec; ISO order must win.
    dayfirst = not month_first and not _LEADING_YEAR.match(upper)
    attempts = [upper]
    *head, last = upper.split(" ")
    if head and _is_zone_name(last, user_zone):
        # dateutil only looks for a zone after a time, so "2026-11-26 IST" fails;
        # the fallback reads it as that date's midnight in that zone.
        attempts.append(" ".join([*head, "00:00", last]))
    hook = functools.partial(_tzinfo_for, user_zone=user_zone)
    first_error: Exception | None = None
    for attempt in attempts:
        try:
            return du_parser.parse(attempt, default=default, dayfirst=dayfirst, tzinfos=hook)
        except SalesDateError:
            raise
        except Exception as exc:  # ParserError, ValueError, OverflowError, ...: all unreadable
            first_error = first_error or exc
    raise SalesDateError(_unreadable(shown, month_first)) from first_error


def _is_zone_name(token: str, user_zone: tzinfo) -> bool:
    return bool(
        token in _ZONE_NAMES or token in _AMBIGUOUS or token in _own_names(user_zone) or _PARSERINFO.utczone(token)
    )


def _tzinfo_for(name: str | None, offset: int | None, *, user_zone: tzinfo) -> tzinfo | None:
    """dateutil ``tzinfos`` hook, called with the zone name and/or offset it found.

    Being a callable (not a dict) means dateutil never falls back to the *server's*
    local zone for a matching name, and never just warns (UnknownTimezoneWarning) and
    drops a zone it doesn't know: we decide every case here.
    """
    if name is not None and _PARSERINFO.jump(name):
        name = None  # "5PM ON friday": upper-casing made a filler word look like a zone
    if name is None:
        return None if offset is None else _offset_zone(offset)
    if offset is None:
        return _named_zone(name, user_zone)
    # "15:00 IST (UTC+05:30)": the offset says which IST, if it is one of IST's meanings.
    meanings = _all_meanings(name, user_zone)
    if not meanings:
        _named_zone(name, user_zone)  # raises: unknown name
    if timedelta(seconds=offset) not in meanings:
        # "IST+5" or "-0300 (IST)": two zones that disagree, so we won't pick one.
        raise SalesDateError(
            f'The time zone "{name}" doesn\'t match the offset next to it. Please give just one, e.g. "15:00 +05:30".'
        )
    return _offset_zone(offset)


def _all_meanings(name: str, user_zone: tzinfo) -> set[timedelta]:
    """Every offset ``name`` can stand for: the user's zone's, the table's, each ambiguous one."""
    if _PARSERINFO.utczone(name):
        return {timedelta(0)}
    meanings = set(_own_names(user_zone).get(name, ()))
    meanings.update(timedelta(minutes=m.minutes) for m in _AMBIGUOUS.get(name, ()))
    table = _ZONE_NAMES.get(name)
    if isinstance(table, timezone):
        meanings.add(table.utcoffset(None))
    elif table is not None:  # ET, PT...: standard or daylight time there
        meanings.update(offset for offsets in _own_names(table).values() for offset in offsets)
    return meanings


def _named_zone(name: str, user_zone: tzinfo) -> tzinfo:
    """What the abbreviation ``name`` (upper-case) means to someone in ``user_zone``."""
    if _PARSERINFO.utczone(name):  # UTC, GMT, Z
        return timezone.utc
    own = _own_names(user_zone).get(name)
    if own:  # the user's own zone uses this name: CST in Shanghai, IST in Dublin, MSK
        return timezone(own[0], name) if len(own) == 1 else _OwnMeaning(name, user_zone, own)
    meanings = _AMBIGUOUS.get(name)
    if meanings:
        country = _zone_countries().get(getattr(user_zone, "key", ""), "")
        local = [m for m in meanings if country in m.countries]
        if len(local) == 1:  # PST for someone in New York
            return timezone(timedelta(minutes=local[0].minutes), name)
        choices = [f"{m.where} (UTC{_offset_text(timedelta(minutes=m.minutes))})" for m in meanings]
        listed = ", ".join(choices[:-1]) + " or " + choices[-1]
        example = _offset_text(timedelta(minutes=meanings[0].minutes))
        raise SalesDateError(
            f'"{name}" can mean {listed}. Please write the offset you mean instead, e.g. "26/11/2026 15:00 {example}".'
        )
    zone = _ZONE_NAMES.get(name)
    if zone is None:
        raise SalesDateError(
            f'I don\'t know the time zone "{name}". Please use an offset instead, e.g. "26/11/2026 15:00 +05:30".'
        )
    return zone


class _OwnMeaning(tzinfo):
    """An abbreviation the user's zone has used for several offsets (MSK: +04:00 in 2011-14).

    It means the offset it had there on the date written; on a date it wasn't in use,
    its latest meaning.
    """

    def __init__(self, name: str, zone: tzinfo, offsets: tuple[timedelta, ...]) -> None:
        self._name, self._zone, self._offsets = name, zone, offsets

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is not None:
            wall = dt.replace(tzinfo=None)
            for fold in (0, 1):
                local = wall.replace(tzinfo=self._zone, fold=fold)
                if (local.tzname() or "").upper() == self._name:
                    return local.utcoffset() or timedelta(0)
        return self._offsets[-1]

    def tzname(self, dt: datetime | None) -> str:
        return self._name

    def dst(self, dt: datetime | None) -> None:
        return None

    def __repr__(self) -> str:
        return f"_OwnMeaning({self._name!r}, {self._zone!r})"


@functools.lru_cache(maxsize=1024)
def _own_names(zone: tzinfo) -> dict[str, tuple[timedelta, ...]]:
    """The alphabetic abbreviations tzdata gives ``zone`` since 2000, each with its offsets
    (latest last). Weekly samples: every period an abbreviation is in force lasts longer."""
    seen: dict[str, list[timedelta]] = {}
    moment, end = _OWN_NAMES_SPAN
    while moment < end:
        local = moment.astimezone(zone)
        name = (local.tzname() or "").upper()
        offset = local.utcoffset()
        if name.isascii() and name.isalpha() and offset is not None:
            offsets = seen.setdefault(name, [])
            if offset in offsets:
                offsets.remove(offset)
            offsets.append(offset)
        moment += timedelta(days=7)
    return {name: tuple(offsets) for name, offsets in seen.items()}


@functools.lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO country code, from tzdata's zone.tab; old names ("Asia/Calcutta",
    "US/Eastern") through tzdata.zi's links take their target's country."""
    countries = {}
    for line in _tzdata_file("zone.tab").splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) >= 3:
            countries[fields[2]] = fields[0]
    for line in _tzdata_file("tzdata.zi").splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "L" and fields[1] in countries:
            countries.setdefault(fields[2], countries[fields[1]])
    return countries


def _tzdata_file(name: str) -> str:
    """A text file of the tz database: the tzdata package's copy, else the system's."""
    try:
        return importlib.resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ImportError, OSError):
        for base in zoneinfo.TZPATH:
            try:
                with open(os.path.join(base, name), encoding="utf-8") as file:
                    return file.read()
            except OSError:
                continue
    return ""


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
    if text.isprintable():  # C: none of _HIDDEN_CHAR_CATEGORIES in it (the usual case)
        return True
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


def _zone_label(local: datetime, user_zone: tzinfo) -> str:
    """How format_for_user names the zone so that whoever types it back gets this instant.

    "EST", "GMT": one meaning everywhere. "IST (UTC+05:30)": tzdata's name, which this user
    reads back as this offset, but someone in Dublin wouldn't, so the offset comes too.
    "UTC+04:00": tzdata has no name ("+04") or this user would read it differently.
    """
    offset = local.utcoffset() or timedelta(0)
    numeric = "UTC" + _offset_text(offset)
    abbr = local.tzname() or ""
    if not (0 < len(abbr) <= 5 and abbr.isascii() and abbr.isalpha()):  # what dateutil takes for a zone
        return numeric
    name = abbr.upper()
    if _PARSERINFO.utczone(name):
        return abbr if offset == timedelta(0) else numeric
    try:
        zone = _named_zone(name, user_zone)
    except SalesDateError:  # ambiguous for this user
        return numeric
    if zone.utcoffset(local.replace(tzinfo=None)) != offset:
        return numeric
    table = _ZONE_NAMES.get(name)
    if name not in _NOT_UNIVERSAL and isinstance(table, timezone) and table.utcoffset(None) == offset:
        return abbr
    return f"{abbr} ({numeric})"


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    hours, minutes = divmod(abs(minutes), 60)
    return f"{'-' if offset < timedelta(0) else '+'}{hours:02d}:{minutes:02d}"


def _day(dt: datetime) -> str:
    return f"{dt.day} {dt:%b} {dt.year}"


def _examples(month_first: bool) -> str:
    numeric = "11/26/2026 3pm" if month_first else "26/11/2026 15:00"
    return f'Try "{numeric}", "yesterday 5pm" or "2026-11-26 15:00 +05:30".'


def _unreadable(text: str, month_first: bool) -> str:
    return f'I couldn\'t read "{text}" as a date. ' + _examples(month_first)
