"""Properties of bot/domain/dates.py that hold for every zone tzdata knows (issue 9).

* The echo the bot shows (format_for_user), typed back by the same user, is the same
  instant; typed back by anyone else it is the same instant or a question, never another.
* A UTC result is the wall-clock time written, in the zone written or the user's zone.
* Nothing typed raises anything but SalesDateError.
"""

from __future__ import annotations

import logging
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from dateutil.parser import UnknownTimezoneWarning
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import dates
from bot.domain.dates import SalesDateError, format_for_user, parse_sales_date
from tests.unit.domain.dates_support import ErrorLog

UTC = timezone.utc
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ALL_ZONES = sorted(available_timezones())
ZONES = st.sampled_from(ALL_ZONES)
PAST = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 11, 25, 23, 59))
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_zone_list_is_the_real_one():
    assert len(ALL_ZONES) > 400
    assert {"Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham", "America/St_Johns"} <= set(ALL_ZONES)


# --- the echo, typed back ----------------------------------------------------------------


def _read_back(shown: str, reader: str) -> datetime | None:
    try:
        return parse_sales_date(shown, tz=reader, locale="en-US", now=NOW)
    except SalesDateError:
        return None


@SETTINGS
@given(moment=PAST, tz=ZONES, reader=ZONES)
def test_the_echo_typed_back_is_the_same_instant(moment, tz, reader):
    moment = moment.replace(tzinfo=UTC)
    shown = format_for_user(moment, tz)
    expected = moment.replace(second=0, microsecond=0)
    assert parse_sales_date(shown, tz=tz, now=NOW) == expected, shown
    assert _read_back(shown, reader) in (expected, None), (shown, reader)


def test_the_echo_of_every_zone_in_winter_and_summer_reads_back():
    for tz in ALL_ZONES:
        for moment in (datetime(2026, 1, 15, 12, 34, tzinfo=UTC), datetime(2026, 7, 15, 12, 34, tzinfo=UTC)):
            shown = format_for_user(moment, tz)
            assert parse_sales_date(shown, tz=tz, now=NOW) == moment, (tz, shown)
            assert _read_back(shown, "America/Chicago") in (moment, None), (tz, shown)


def _transitions(zone: ZoneInfo, year: int):
    """UTC instants in ``year`` at which ``zone``'s offset changes (hourly scan, then bisect)."""
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    while moment < end:
        if (moment + step).astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
            low, high = moment, moment + step
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            yield high.replace(second=0, microsecond=0)
        moment += step


@pytest.mark.parametrize(
    "tz",
    ["America/New_York", "Europe/London", "Europe/Dublin", "Australia/Sydney", "Pacific/Auckland",
     "America/Havana", "Asia/Jerusalem", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham"],
)  # fmt: skip
def test_the_echo_either_side_of_each_dst_change_reads_back(tz):
    zone = ZoneInfo(tz)
    changes = list(_transitions(zone, 2026))
    assert changes, "expected DST changes in 2026"
    for change in changes:
        for minutes in (-61, -31, -1, 0, 1, 30, 59, 61):
            moment = change + timedelta(minutes=minutes)
            shown = format_for_user(moment, tz)
            assert parse_sales_date(shown, tz=tz, now=NOW) == moment, (moment, shown)


def test_every_table_name_shown_without_its_offset_means_the_same_in_every_zone():
    # format_for_user prints "EST" bare only if nobody's zone uses EST for another offset.
    used = {}
    for tz in ALL_ZONES:
        for name, offsets in dates._own_names(ZoneInfo(tz)).items():
            used.setdefault(name, set()).update(offsets)
    for name, minutes in dates._FIXED_OFFSETS.items():
        if name in dates._NOT_UNIVERSAL:
            continue
        assert used.get(name, {timedelta(minutes=minutes)}) == {timedelta(minutes=minutes)}, name


# --- wall clock in, the same wall clock out ----------------------------------------------


def _format_wall(wall: datetime, style: int) -> tuple[str, str | None]:
    """The wall time written the ways people write it; returns (text, locale)."""
    h12 = wall.hour % 12 or 12
    ampm = "am" if wall.hour < 12 else "pm"
    return [
        (f"{wall:%d/%m/%Y %H:%M}", "en-IN"),
        (f"{wall.month}/{wall.day}/{wall.year} {h12}:{wall:%M}{ampm}", "en-US"),
        (f"{wall:%Y-%m-%d} {wall.hour}.{wall:%M}", None),  # a dot time
        (f"{wall.day} {wall:%b %Y}, {h12}.{wall:%M} {ampm[0]}.m.", "en-GB"),
        (f"{wall:%d.%m.%Y %H.%M}", "en-GB"),
    ][style]


@SETTINGS
@given(wall=PAST, tz=ZONES, style=st.integers(0, 4))
def test_the_result_is_the_wall_clock_written_in_the_users_zone(wall, tz, style):
    _check_wall_clock(wall.replace(second=0, microsecond=0), tz, style)


@pytest.mark.parametrize(
    "tz",
    ["America/New_York", "Europe/London", "Australia/Sydney", "Pacific/Auckland", "America/Havana",
     "Asia/Jerusalem", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago"],
)  # fmt: skip
def test_the_wall_clock_rule_holds_on_both_sides_of_each_dst_change(tz):
    # Random walls almost never land in the hour that happens twice or not at all; these do.
    zone = ZoneInfo(tz)
    for change in _transitions(zone, 2026):
        before = (change - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
        after = change.astimezone(zone).replace(tzinfo=None)
        for wall_clock in (before, after):
            for minutes in range(-90, 91, 15):
                wall = wall_clock + timedelta(minutes=minutes)
                if wall < datetime(2026, 11, 25):
                    _check_wall_clock(wall.replace(second=0), tz, minutes % 5)


def _check_wall_clock(wall: datetime, tz: str, style: int) -> None:
    text, locale = _format_wall(wall, style)
    result = parse_sales_date(text, tz=tz, locale=locale, now=NOW)
    zone = ZoneInfo(tz)
    first, second = (wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    exists = first.astimezone(zone).replace(tzinfo=None) == wall
    if exists:
        assert result.astimezone(zone).replace(tzinfo=None) == wall, text
        assert result == min(first, second), text  # a time that happens twice: the first
    else:  # spring-forward gap: moved forward by the gap, as a clock that was not changed would be
        shifted = result.astimezone(zone).replace(tzinfo=None)
        assert wall < shifted <= wall + timedelta(hours=3), text
        assert result == first, text


# Offsets written out independently of the module's table (minutes east of UTC).
WRITTEN_ZONES = {"EST": -300, "EDT": -240, "CET": 60, "CEST": 120, "JST": 540, "SGT": 480, "AEDT": 660,
                 "NZST": 720, "SAST": 120, "UTC": 0, "GMT": 0, "Z": 0}  # fmt: skip
OFFSETS = st.integers(-12 * 4, 14 * 4).map(lambda quarters: quarters * 15)


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@SETTINGS
@given(
    wall=PAST,
    tz=ZONES,
    written=st.one_of(st.sampled_from(sorted(WRITTEN_ZONES)).map(lambda name: (name, WRITTEN_ZONES[name])),
                      OFFSETS.map(lambda m: (_offset_text(m), m)), OFFSETS.map(lambda m: ("UTC" + _offset_text(m), m))),
    style=st.integers(0, 4),
)  # fmt: skip
def test_the_result_is_the_wall_clock_written_in_the_zone_written(wall, tz, written, style):
    wall = wall.replace(second=0, microsecond=0)
    name, minutes = written
    text, locale = _format_wall(wall, style)
    result = parse_sales_date(f"{text} {name}", tz=tz, locale=locale, now=NOW)
    assert result == wall.replace(tzinfo=UTC) - timedelta(minutes=minutes), f"{text} {name}"


# --- nothing but SalesDateError ----------------------------------------------------------

_WORDS = st.sampled_from(
    ["3.30pm", "15.30", "11.12", "3.5", "p.m.", "a.m.", "noon", "midnight", "12", "ago", "back", "an", "a",
     "hour", "hours", "2hrs", "minutes", "days", "weeks", "half", "this", "morning", "afternoon", "evening",
     "tonight", "night", "last", "tomorrow", "yesterday", "today", "day", "before", "friday", "at", "@",
     "IST", "CST", "PST", "BST", "GST", "AST", "CDT", "MSK", "ChST", "SST", "(UTC+05:30)", "(+05:30)", "UTC+4",
     "26/11/2026", "26.11", "2026-11-26", "1530", "hrs", "99999", "0", "00.00", "23.59", "24.00", ",", "."]
)  # fmt: skip
_TEXTS = st.one_of(
    st.lists(_WORDS, max_size=8).map(" ".join),
    st.lists(st.one_of(_WORDS, st.text(max_size=6)), max_size=6).map(" ".join),
    st.text(alphabet="0123456789.:/ apmAPM", max_size=20),
)


@SETTINGS
@given(text=_TEXTS, tz=st.one_of(ZONES, st.just("")), locale=st.sampled_from([None, "en-US", "en-IN", "en-GB"]))
def test_nothing_typed_raises_anything_but_a_sales_date_error(text, tz, locale):
    errors = ErrorLog()
    logger = logging.getLogger("bot.domain.dates")
    logger.addHandler(errors)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UnknownTimezoneWarning)
            result = parse_sales_date(text, tz=tz, locale=locale, now=NOW)
    except SalesDateError as exc:
        assert exc.message.strip()
    else:
        assert result.tzinfo is UTC
        assert datetime(1999, 12, 31, 9, 0, tzinfo=UTC) <= result <= NOW + timedelta(days=1)
    finally:
        logger.removeHandler(errors)
    # Anything caught only by the last-resort handler is a bug, even if the user saw a sentence.
    assert not errors.records, errors.records[0].getMessage()
