"""Free-text sale dates -> UTC for LeadSquared (bot/domain/dates.py)."""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from datetime import datetime, timedelta, timezone

import pytest
from dateutil.parser import UnknownTimezoneWarning
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dates import SalesDateError, format_for_user, parse_sales_date
from bot.leadsquared.client import to_leadsquared
from tests.unit.domain.dates_support import KOLKATA, NOW, UTC, ErrorLog, assert_rejected, parse, utc

# Friday 27 Nov 2026, 10:00 UTC = 15:30 in India, 05:00 in New York (EST).
NEW_YORK = "America/New_York"
LONDON = "Europe/London"


# --- the user's zone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        (KOLKATA, utc(2026, 11, 26, 9, 30)),  # +05:30
        (NEW_YORK, utc(2026, 11, 26, 20, 0)),  # EST, -05:00
        ("Asia/Kathmandu", utc(2026, 11, 26, 9, 15)),  # +05:45
        ("Asia/Dubai", utc(2026, 11, 26, 11, 0)),  # +04:00
        ("Australia/Sydney", utc(2026, 11, 26, 4, 0)),  # AEDT, +11:00
        ("UTC", utc(2026, 11, 26, 15, 0)),
    ],
)
def test_naive_text_is_read_in_the_users_zone(tz, expected):
    assert parse("26/11/2026 15:00", tz=tz) == expected


@pytest.mark.parametrize("tz", ["", None, "Nope/Nope", "Asia", "../../etc/passwd", "Asia/Kolkata\x00", 42])
def test_unknown_or_empty_user_zone_falls_back_to_utc(tz):
    assert parse("26/11/2026 15:00", tz=tz) == utc(2026, 11, 26, 15, 0)


def test_result_is_utc_with_seconds_kept_and_microseconds_dropped():
    result = parse("2026-11-26 15:00:45.987654")
    assert result == utc(2026, 11, 26, 9, 30, 45)
    assert result.tzinfo is UTC
    assert result.microsecond == 0


def test_dst_of_the_written_date_is_used_not_todays_offset():
    # NOW is in November (EST, -05:00), the sale was in July (EDT, -04:00).
    assert parse("15/07/2026 12:00", tz=NEW_YORK) == utc(2026, 7, 15, 16, 0)
    assert parse("15/01/2026 12:00", tz=NEW_YORK) == utc(2026, 1, 15, 17, 0)
    assert parse("15/07/2026 12:00", tz=LONDON) == utc(2026, 7, 15, 11, 0)  # BST
    assert parse("15/01/2026 12:00", tz=LONDON) == utc(2026, 1, 15, 12, 0)  # GMT


def test_dst_from_a_summer_now_to_a_winter_date():
    summer_now = utc(2026, 7, 20, 12, 0)
    assert parse("15/01/2026 12:00", tz=NEW_YORK, now=summer_now) == utc(2026, 1, 15, 17, 0)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        # Spring forward: 02:00-03:00 doesn't exist; 02:30 is shifted forward to 03:30 EDT.
        ("2026-03-08 02:30", NEW_YORK, utc(2026, 3, 8, 7, 30)),
        ("2026-03-29 01:30", LONDON, utc(2026, 3, 29, 1, 30)),  # -> 02:30 BST
        # Fall back: 01:00-02:00 happens twice; we take the first (still summer time).
        ("2026-11-01 01:30", NEW_YORK, utc(2026, 11, 1, 5, 30)),  # 01:30 EDT
        ("2026-10-25 01:30", LONDON, utc(2026, 10, 25, 0, 30)),  # 01:30 BST
        # Written abbreviation picks the occurrence explicitly.
        ("2026-11-01 01:30 EST", NEW_YORK, utc(2026, 11, 1, 6, 30)),
        ("2026-11-01 01:30 EDT", NEW_YORK, utc(2026, 11, 1, 5, 30)),
        ("2026-10-25 01:30 GMT", LONDON, utc(2026, 10, 25, 1, 30)),
        # Just either side of the transitions.
        ("2026-03-08 01:59", NEW_YORK, utc(2026, 3, 8, 6, 59)),
        ("2026-03-08 03:00", NEW_YORK, utc(2026, 3, 8, 7, 0)),
        ("2026-11-01 02:00", NEW_YORK, utc(2026, 11, 1, 7, 0)),
    ],
)
def test_dst_gap_and_fold_are_resolved_deterministically(text, tz, expected):
    assert parse(text, tz=tz) == expected


def test_gap_result_shows_the_shifted_wall_time():
    result = parse("2026-03-08 02:30", tz=NEW_YORK)
    assert format_for_user(result, NEW_YORK) == "Sun 8 Mar 2026, 03:30 EDT"


# --- zones written in the text -----------------------------------------------------------

# Expected offsets in minutes, written out independently of the module's table. Names with
# several meanings (IST, CST, CDT, PST, BST, GST, AST) are tested below, per user zone.
FIXED_ABBREVIATIONS = {
    "EST": -300,
    "EDT": -240,
    "MST": -420,
    "MDT": -360,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "GMT": 0,
    "UTC": 0,
    "Z": 0,
    "CET": 60,
    "CEST": 120,
    "SGT": 480,
    "AEST": 600,
    "AEDT": 660,
    "JST": 540,
    "HKT": 480,
    "PKT": 300,
    "NPT": 345,
    "SAST": 120,
    "WIB": 420,
}


@pytest.mark.parametrize(("abbr", "minutes"), sorted(FIXED_ABBREVIATIONS.items()))
def test_zone_abbreviations_win_over_the_users_zone(abbr, minutes):
    expected = utc(2026, 7, 15, 12, 0) - timedelta(minutes=minutes)
    # Same answer whatever the user's own zone, and in any letter case.
    assert parse(f"2026-07-15 12:00 {abbr}", tz=NEW_YORK) == expected
    assert parse(f"15/07/2026 12:00 {abbr.lower()}", tz=KOLKATA) == expected


@pytest.mark.parametrize(
    ("abbr", "tz", "expected"),
    [
        # The user's own zone says what its abbreviation means (tzdata).
        ("IST", KOLKATA, utc(2026, 11, 26, 9, 30)),  # India, +05:30
        ("IST", "Europe/Dublin", utc(2026, 11, 26, 14, 0)),  # Irish Standard Time, +01:00
        ("IST", "Asia/Jerusalem", utc(2026, 11, 26, 13, 0)),  # Israel, +02:00
        ("CST", "Asia/Shanghai", utc(2026, 11, 26, 7, 0)),  # China, +08:00
        ("CST", "Asia/Taipei", utc(2026, 11, 26, 7, 0)),
        ("CST", "America/Chicago", utc(2026, 11, 26, 21, 0)),  # US Central, -06:00
        ("CST", "America/Havana", utc(2026, 11, 26, 20, 0)),  # Cuba, -05:00
        ("PST", "Asia/Manila", utc(2026, 11, 26, 7, 0)),  # Philippines, +08:00
        ("PST", "America/Los_Angeles", utc(2026, 11, 26, 23, 0)),
        ("BST", LONDON, utc(2026, 11, 26, 14, 0)),  # British Summer Time, +01:00 (literal)
        ("AST", "America/Halifax", utc(2026, 11, 26, 19, 0)),  # Atlantic, -04:00
        # No tzdata name, but the country has one meaning.
        ("BST", "Asia/Dhaka", utc(2026, 11, 26, 9, 0)),  # Bangladesh, +06:00
        ("GST", "Asia/Dubai", utc(2026, 11, 26, 11, 0)),  # Gulf, +04:00
        ("AST", "Asia/Riyadh", utc(2026, 11, 26, 12, 0)),  # Arabia, +03:00
        ("PST", NEW_YORK, utc(2026, 11, 26, 23, 0)),  # US Pacific for someone in the US
        ("CST", NEW_YORK, utc(2026, 11, 26, 21, 0)),
        ("CDT", NEW_YORK, utc(2026, 11, 26, 20, 0)),
        # Old names for the same zones (tzdata links) belong to the same country.
        ("PST", "US/Eastern", utc(2026, 11, 26, 23, 0)),
        ("IST", "Asia/Calcutta", utc(2026, 11, 26, 9, 30)),
        ("BST", "Asia/Dacca", utc(2026, 11, 26, 9, 0)),
    ],
)
def test_an_abbreviation_means_what_it_means_where_the_user_is(abbr, tz, expected):
    assert parse(f"26/11/2026 15:00 {abbr}", tz=tz) == expected


@pytest.mark.parametrize(
    ("abbr", "tz", "choices"),
    [
        ("IST", NEW_YORK, ["India (UTC+05:30)", "Ireland (UTC+01:00)", "Israel (UTC+02:00)"]),
        ("IST", LONDON, ["India (UTC+05:30)", "Ireland (UTC+01:00)"]),
        ("IST", "UTC", ["India (UTC+05:30)"]),
        ("CST", KOLKATA, ["US Central (UTC-06:00)", "China (UTC+08:00)", "Cuba (UTC-05:00)"]),
        ("CST", "Asia/Manila", ["China (UTC+08:00)"]),
        ("PST", KOLKATA, ["US Pacific (UTC-08:00)", "Philippines (UTC+08:00)"]),
        ("BST", KOLKATA, ["British Summer Time (UTC+01:00)", "Bangladesh (UTC+06:00)"]),
        ("BST", NEW_YORK, ["Bangladesh (UTC+06:00)"]),
        ("GST", KOLKATA, ["Gulf (UTC+04:00)", "South Georgia (UTC-02:00)"]),
        ("AST", KOLKATA, ["Atlantic (UTC-04:00)", "Arabia (UTC+03:00)"]),
        ("CDT", KOLKATA, ["Cuba daylight (UTC-04:00)"]),
    ],
)
def test_an_ambiguous_abbreviation_that_is_not_the_users_own_is_refused_with_the_choices(abbr, tz, choices):
    message = assert_rejected(f"26/11/2026 15:00 {abbr.lower()}", f'"{abbr}" can mean', *choices, tz=tz)
    assert "offset" in message


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        # The offset picks one of the name's meanings: no guess left.
        ("26/11/2026 15:00 IST (UTC+05:30)", NEW_YORK, utc(2026, 11, 26, 9, 30)),
        ("26/11/2026 15:00 IST (UTC+05:30)", "Europe/Dublin", utc(2026, 11, 26, 9, 30)),
        ("26/11/2026 15:00 CST (UTC+08:00)", KOLKATA, utc(2026, 11, 26, 7, 0)),
        ("26/11/2026 15:00 +08:00 (CST)", "America/Chicago", utc(2026, 11, 26, 7, 0)),
    ],
)
def test_an_ambiguous_abbreviation_with_its_offset_is_read(text, tz, expected):
    assert parse(text, tz=tz) == expected


def test_an_abbreviation_used_for_two_offsets_in_the_users_zone_means_the_one_of_that_date():
    # Moscow was +04:00 ("MSK") from March 2011 to October 2014, +03:00 ("MSK") since.
    moscow = "Europe/Moscow"
    assert parse("15/07/2012 12:00 MSK", tz=moscow) == utc(2012, 7, 15, 8, 0)
    assert parse("15/07/2026 12:00 MSK", tz=moscow) == utc(2026, 7, 15, 9, 0)
    # Everyone else reads MSK as today's +03:00.
    assert parse("15/07/2012 12:00 MSK", tz=KOLKATA) == utc(2012, 7, 15, 9, 0)


@pytest.mark.parametrize(
    ("abbr", "winter_utc_hour", "summer_utc_hour"),
    [("ET", 17, 16), ("CT", 18, 17), ("MT", 19, 18), ("PT", 20, 19)],
)
def test_regional_us_names_follow_dst(abbr, winter_utc_hour, summer_utc_hour):
    assert parse(f"15 Jan 2026 12:00 {abbr}") == utc(2026, 1, 15, winter_utc_hour)
    assert parse(f"15 Jul 2026 12:00 {abbr}") == utc(2026, 7, 15, summer_utc_hour)


def test_est_is_literal_even_in_summer():
    # "EST" names the -05:00 offset; "ET" is the one that follows the calendar.
    assert parse("15 Jul 2026 12:00 EST") == utc(2026, 7, 15, 17, 0)
    assert parse("15 Jul 2026 12:00 ET") == utc(2026, 7, 15, 16, 0)


def test_a_date_with_a_zone_but_no_time_is_midnight_there():
    assert parse("2026-11-26 IST", tz=KOLKATA) == utc(2026, 11, 25, 18, 30)
    assert parse("2026-11-26 SGT", tz=NEW_YORK) == utc(2026, 11, 25, 16, 0)
    assert parse("26 Nov 2026 EST") == utc(2026, 11, 26, 5, 0)


def test_zone_after_a_relative_word():
    assert parse("yesterday 5pm EST") == utc(2026, 11, 26, 22, 0)
    assert parse("friday 9am PT", tz=KOLKATA) == utc(2026, 11, 27, 17, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("26/11/2026 15:00 +05:30", utc(2026, 11, 26, 9, 30)),
        ("26/11/2026 15:00 +0530", utc(2026, 11, 26, 9, 30)),
        ("26/11/2026 15:00 -0400", utc(2026, 11, 26, 19, 0)),
        ("26/11/2026 15:00 -04:00", utc(2026, 11, 26, 19, 0)),
        ("26/11/2026 15:00 +05:45", utc(2026, 11, 26, 9, 15)),
        ("2026-11-26T15:00:00+05:30", utc(2026, 11, 26, 9, 30)),
        ("2026-11-26T15:00:00Z", utc(2026, 11, 26, 15, 0)),
        ("2026-11-26T15:00:00z", utc(2026, 11, 26, 15, 0)),
        ("2026-11-26T15:00:00.5-05:00", utc(2026, 11, 26, 20, 0)),
        ("2026-11-26 15:00 +00:00", utc(2026, 11, 26, 15, 0)),
        # People mean UTC+4 = +04:00 (dateutil alone reads it POSIX-style as -04:00).
        ("26/11/2026 15:00 UTC+04:00", utc(2026, 11, 26, 11, 0)),
        ("26/11/2026 15:00 GMT+4", utc(2026, 11, 26, 11, 0)),
        ("26/11/2026 15:00 utc-3", utc(2026, 11, 26, 18, 0)),
        ("26/11/2026 15:00 UTC +05:30", utc(2026, 11, 26, 9, 30)),
        # Email style: offset with the matching name in brackets.
        ("26/11/2026 15:00 +05:30 (IST)", utc(2026, 11, 26, 9, 30)),
    ],
)
def test_explicit_offsets_win_over_the_users_zone(text, expected):
    assert parse(text, tz=NEW_YORK) == expected
    assert parse(text, tz=KOLKATA) == expected


@pytest.mark.parametrize("text", ["3pm XYZ", "26/11/2026 15:00 ABCD", "26/11/2026 15:00 abc", "15:00 QQ"])
def test_unknown_zone_names_are_refused_not_dropped(text):
    token = text.split()[-1].upper()
    assert_rejected(text, f'"{token}"', "+05:30")


def test_no_unknown_timezone_warning_escapes():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownTimezoneWarning)
        with pytest.raises(SalesDateError):
            parse("26/11/2026 15:00 XYZ")
        assert parse("26/11/2026 15:00 IST") == utc(2026, 11, 26, 9, 30)


def test_server_local_zone_name_is_not_used(monkeypatch):
    # Without a tzinfos callable, dateutil maps a name matching time.tzname to the
    # *server's* zone. Ours must not depend on where the bot runs.
    monkeypatch.setattr(time, "tzname", ("XYZ", "XYZ"))
    assert_rejected("26/11/2026 15:00 XYZ", '"XYZ"')


def test_filler_words_after_a_time_are_not_zones():
    assert parse("5pm on friday") == utc(2026, 11, 27, 11, 30)
    assert parse("friday at 5pm") == utc(2026, 11, 27, 11, 30)


@pytest.mark.parametrize("text", ["15:00 +9999", "26/11/2026 15:00 -15:00", "15:00 +24:00"])
def test_impossible_offsets_are_refused(text):
    assert_rejected(text, "offset")


@pytest.mark.parametrize("text", ["26/11/2026 15:00 IST+5", "26/11/2026 15:00 -0300 (IST)"])
def test_zone_name_and_offset_that_disagree_are_refused(text):
    assert_rejected(text, '"IST"', "offset")


# --- day/month order ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", utc(2026, 11, 12)),
        ("en_US", utc(2026, 11, 12)),
        ("EN-us", utc(2026, 11, 12)),
        ("en-IN", utc(2026, 12, 11)),
        ("en-GB", utc(2026, 12, 11)),
        ("fr-FR", utc(2026, 12, 11)),
        ("", utc(2026, 12, 11)),
        (None, utc(2026, 12, 11)),
    ],
)
def test_numeric_dates_follow_the_slack_locale(locale, expected):
    now = utc(2026, 12, 31)  # both readings are in the past
    assert parse("11/12/2026", tz="UTC", locale=locale, now=now) == expected
    assert parse("11-12-2026", tz="UTC", locale=locale, now=now) == expected
    assert parse("11.12.2026", tz="UTC", locale=locale, now=now) == expected


@pytest.mark.parametrize("locale", ["en-US", "en-IN", None])
def test_iso_dates_are_always_year_month_day(locale):
    # dateutil with dayfirst=True would read this as 11 Dec.
    assert parse("2026-11-12", tz="UTC", locale=locale) == utc(2026, 11, 12)
    assert parse("2026/11/12 10:00", tz="UTC", locale=locale) == utc(2026, 11, 12, 10)


def test_a_day_over_12_is_read_as_the_day_even_in_us_locale():
    assert parse("26/11/2026", tz="UTC", locale="en-US") == utc(2026, 11, 26)
    assert parse("11/26/2026", tz="UTC", locale="en-IN") == utc(2026, 11, 26)


# --- people's words ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", NOW),
        ("   ", NOW),
        ("now", NOW),
        ("NOW", NOW),
        ("today", NOW),
        ("Today", NOW),
        ("yesterday", utc(2026, 11, 26, 10, 0)),  # same clock time
        ("yesterday 5pm", utc(2026, 11, 26, 11, 30)),
        ("Yesterday at 5 PM", utc(2026, 11, 26, 11, 30)),
        ("5pm yesterday", utc(2026, 11, 26, 11, 30)),
        ("yesterday 17:00", utc(2026, 11, 26, 11, 30)),
        ("today 09:30", utc(2026, 11, 27, 4, 0)),
        ("3pm", utc(2026, 11, 27, 9, 30)),
        ("15:00", utc(2026, 11, 27, 9, 30)),
        ("3:30 pm", utc(2026, 11, 27, 10, 0)),
        ("3:30PM", utc(2026, 11, 27, 10, 0)),
        ("12am", utc(2026, 11, 26, 18, 30)),
        # NOW is a Friday: "friday" is today, "last friday" a week ago.
        ("friday", utc(2026, 11, 26, 18, 30)),
        ("Friday 4pm", utc(2026, 11, 27, 10, 30)),
        ("fri 4pm", utc(2026, 11, 27, 10, 30)),
        ("last friday", utc(2026, 11, 19, 18, 30)),
        ("last Friday 4pm", utc(2026, 11, 20, 10, 30)),
        ("thursday", utc(2026, 11, 25, 18, 30)),
        ("last thursday", utc(2026, 11, 25, 18, 30)),
        ("saturday 11am", utc(2026, 11, 21, 5, 30)),
        ("sun", utc(2026, 11, 21, 18, 30)),
        # Everything dateutil reads; a date without a time is local midnight.
        ("26 Nov 2026 3pm", utc(2026, 11, 26, 9, 30)),
        ("Nov 26, 2026 15:00", utc(2026, 11, 26, 9, 30)),
        ("26-11-2026", utc(2026, 11, 25, 18, 30)),
        ("26/11/2026", utc(2026, 11, 25, 18, 30)),
        ("26 november 2026", utc(2026, 11, 25, 18, 30)),
        ("26 NOV", utc(2026, 11, 25, 18, 30)),  # current year
        ("2026-11-26T15:00", utc(2026, 11, 26, 9, 30)),
        ("20261126", utc(2026, 11, 25, 18, 30)),
        ("26/11/2026\u00a015:00", utc(2026, 11, 26, 9, 30)),  # non-breaking space
        ("  26/11/2026    15:00  ", utc(2026, 11, 26, 9, 30)),
    ],
)
def test_words_and_formats_people_type(text, expected):
    assert parse(text) == expected


def test_now_defaults_to_the_real_clock():
    before = datetime.now(UTC).replace(microsecond=0)
    result = parse_sales_date("now", tz=KOLKATA)
    assert before <= result <= datetime.now(UTC)
    assert result.tzinfo is UTC


def test_naive_now_is_taken_as_utc():
    assert parse("now", now=datetime(2026, 11, 27, 10, 0)) == NOW


def test_none_text_means_now():
    assert parse(None) == NOW


def test_yesterday_keeps_wall_clock_time_across_dst():
    # 2 Nov 2026 09:00 EST; yesterday (1 Nov, EDT until 02:00) at 09:00 is EST already.
    assert parse("yesterday", tz=NEW_YORK, now=utc(2026, 11, 2, 14, 0)) == utc(2026, 11, 1, 14, 0)
    # 9 Mar 2026 09:00 EDT; 8 Mar 09:00 is also EDT (the switch was at 02:00).
    assert parse("yesterday", tz=NEW_YORK, now=utc(2026, 3, 9, 13, 0)) == utc(2026, 3, 8, 13, 0)


def test_today_is_the_users_day_not_utcs():
    # 20:00 UTC on the 27th is already the 28th (a Saturday) in India.
    late = utc(2026, 11, 27, 20, 0)
    assert parse("today 09:00", now=late) == utc(2026, 11, 28, 3, 30)
    assert parse("yesterday 09:00", now=late) == utc(2026, 11, 27, 3, 30)
    assert parse("friday", now=late) == utc(2026, 11, 26, 18, 30)
    assert parse("today 09:00", tz=NEW_YORK, now=late) == utc(2026, 11, 27, 14, 0)


def test_a_full_date_with_its_weekday_is_accepted():
    assert parse("Thu 26 Nov 2026") == utc(2026, 11, 25, 18, 30)
    assert parse("Thursday, 26 November 2026 at 3pm") == utc(2026, 11, 26, 9, 30)


def test_a_weekday_that_contradicts_the_date_is_refused():
    assert_rejected("Fri 26 Nov 2026", "Thursday", "Friday")


@pytest.mark.parametrize("text", ["yesterday 20/11/2026", "today 1 Nov 2026", "last friday 26 Nov 2026"])
def test_a_relative_word_plus_a_different_date_is_refused(text):
    assert_rejected(text, "two different days")


def test_a_relative_word_plus_the_same_date_is_fine():
    assert parse("yesterday 26/11/2026 3pm") == utc(2026, 11, 26, 9, 30)


# --- limits --------------------------------------------------------------------------------


def test_up_to_one_day_ahead_is_allowed():
    # 28 Nov 00:00 IST = 27 Nov 18:30 UTC, 8.5 h after NOW.
    assert parse("28/11/2026") == utc(2026, 11, 27, 18, 30)
    assert parse("28/11/2026 15:30") == NOW + timedelta(days=1)


@pytest.mark.parametrize(
    "text",
    ["28/11/2026 15:31", "29/11/2026", "26/11/2027", "26 Nov 2099", "31/12/9999 23:59", "9999-12-31 23:59 -12:00"],
)
def test_future_dates_are_refused(text):
    assert_rejected(text, "in the future")


def test_month_first_reading_in_the_future_hints_at_the_order():
    assert_rejected("12/11/2026", "in the future", "day/month", locale="en-US")


@pytest.mark.parametrize(
    "text", ["31/12/1999", "1999-12-31 23:59", "26/11/1926", "1230", "0001-01-01 00:00 +14:00", "26/11/0001"]
)
def test_dates_before_2000_are_refused(text):
    assert_rejected(text, "before the year 2000")


def test_2000_itself_is_fine_even_when_utc_is_still_1999():
    assert parse("01/01/2000") == utc(1999, 12, 31, 18, 30)


# --- garbage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "blah",
        "last week",
        "the day before",
        "32/11/2026",
        "26/13/2026",
        "2026-02-30",
        "24:00",
        "25pm",
        "99999999999999999999",
        "9" * 99,
        "26/11/2026 15:00 blah blah",
        "yesterday blah",
        "yesterday IST",
        "friday at",
        "-",
        "...",
        "+05:30",
    ],
)
def test_garbage_is_refused_with_a_helpful_example(text):
    message = assert_rejected(text, "Try")
    assert "Traceback" not in message


def test_unreadable_message_quotes_the_whole_text_and_gives_examples():
    assert assert_rejected("yesterday blah") == (
        'I couldn\'t read "yesterday blah" as a date. '
        'Try "26/11/2026 15:00", "yesterday 5pm" or "2026-11-26 15:00 +05:30".'
    )


def test_examples_follow_the_locale():
    assert_rejected("blah", '"11/26/2026 3pm"', locale="en-US")


def test_fuzzy_mode_is_not_used():
    # dateutil's fuzzy=True would find "26 Nov 2026" in here.
    assert_rejected("I sold it on 26 Nov 2026 to Priya", "couldn't read")


def test_too_long_text_is_refused():
    assert_rejected("26/11/2026 15:00" + " " * 50 + "x" * 40, "under 100")
    assert_rejected("1" * 101, "101 characters")
    assert parse("   26/11/2026   " + " " * 200) == utc(2026, 11, 25, 18, 30)  # outer spaces don't count


@pytest.mark.parametrize(
    "text", ["26/11/2026\x00", "26/11\x1b[31m/2026", "26/11/2026\t15:00", "26/11/2026\n15:00", "26/11/\u200b2026"]
)
def test_control_characters_are_refused(text):
    message = assert_rejected(text, "control characters")
    assert "\x00" not in message and "\x1b" not in message


def test_non_text_input_is_refused():
    assert_rejected(20261126, "couldn't read")
    assert_rejected(["26/11/2026"], "couldn't read")


def test_sales_date_error_is_a_value_error_with_a_message():
    err = SalesDateError("Nope.")
    assert isinstance(err, ValueError)
    assert err.message == "Nope." == str(err)


# --- fuzz ----------------------------------------------------------------------------------

_TOKENS = st.sampled_from(
    ["26", "11", "2026", "/", "-", ":", "+", ".", ",", "15:00", "3pm", "am", "Nov", "nov", "T", "Z",
     "IST", "est", "ET", "XYZ", "UTC", "GMT", "+05:30", "-0400", "yesterday", "today", "now", "last",
     "friday", "mon", "at", "on", "(", ")", "0", "00", "9999", "1999", "2000", "13", "31", "24", "60"]
)  # fmt: skip
_NUMBERS = st.integers(min_value=-(10**30), max_value=10**30).map(str)
_DATEISH = st.lists(st.one_of(_TOKENS, _NUMBERS), max_size=12).flatmap(
    lambda parts: st.sampled_from([" ", "", "/", "-", ":"]).map(lambda sep: sep.join(parts))
)
_TEXT = st.one_of(st.text(max_size=120), _DATEISH, st.text(alphabet="0123456789/-:+. TZapm", max_size=40))
_ZONES = st.one_of(
    st.sampled_from([KOLKATA, NEW_YORK, LONDON, "Asia/Dubai", "Pacific/Kiritimati", "Etc/GMT+12", "UTC", ""]),
    st.text(max_size=30),
)
_NOWS = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=600, deadline=None)
@given(text=_TEXT, tz=_ZONES, locale=st.sampled_from([None, "en-US", "en-IN", ""]), now=_NOWS)
def test_fuzz_returns_aware_utc_or_raises_sales_date_error(text, tz, locale, now):
    errors = ErrorLog()
    logger = logging.getLogger("bot.domain.dates")
    logger.addHandler(errors)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UnknownTimezoneWarning)
            result = parse_sales_date(text, tz=tz, locale=locale, now=now)
    except SalesDateError as exc:
        assert exc.message.strip()
    else:
        assert result.tzinfo is UTC
        assert result.microsecond == 0
        assert result <= now + timedelta(days=1)
        assert result >= datetime(1999, 12, 31, 9, 0, tzinfo=UTC)  # 2000-01-01 at +14:00
        assert len(to_leadsquared(result)) == 19
    finally:
        logger.removeHandler(errors)
    # dateutil's own exceptions must be handled where they happen, not by the last resort.
    assert not errors.records, errors.records[0].getMessage()


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 11, 26), timezones=st.just(UTC)),
    tz=st.sampled_from([KOLKATA, NEW_YORK, LONDON, "Asia/Dubai", "Asia/Kathmandu", "Asia/Manila",
                        "Europe/Dublin", "Australia/Sydney", "America/St_Johns", "Nope/Nope"]),
)  # fmt: skip
def test_format_for_user_reads_back_as_the_same_minute(moment, tz):
    shown = format_for_user(moment, tz)
    expected = moment.replace(second=0, microsecond=0)
    assert parse(shown, tz=tz) == expected
    # Whoever else reads it back (any zone, any locale) gets the same instant or a question.
    for reader in ("Pacific/Honolulu", "Europe/Dublin", KOLKATA):
        with contextlib.suppress(SalesDateError):
            assert parse(shown, tz=reader, locale="en-US") == expected


# --- output formats ------------------------------------------------------------------------


def test_to_leadsquared():
    assert to_leadsquared(utc(2026, 11, 26, 9, 30)) == "2026-11-26 09:30:00"
    assert to_leadsquared(utc(2026, 1, 2, 3, 4, 5, 678)) == "2026-01-02 03:04:05"
    ist = timezone(timedelta(hours=5, minutes=30))
    assert to_leadsquared(datetime(2026, 11, 26, 15, 0, tzinfo=ist)) == "2026-11-26 09:30:00"
    assert to_leadsquared(datetime(2026, 11, 26, 9, 30)) == "2026-11-26 09:30:00"  # naive = UTC


def test_parse_then_to_leadsquared():
    assert to_leadsquared(parse("26/11/2026 3pm")) == "2026-11-26 09:30:00"


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (utc(2026, 11, 26, 9, 30), KOLKATA, "Thu 26 Nov 2026, 15:00 IST (UTC+05:30)"),
        (utc(2026, 1, 15, 17, 0), NEW_YORK, "Thu 15 Jan 2026, 12:00 EST"),
        (utc(2026, 7, 15, 16, 0), NEW_YORK, "Wed 15 Jul 2026, 12:00 EDT"),
        (utc(2026, 11, 1, 5, 30), NEW_YORK, "Sun 1 Nov 2026, 01:30 EDT"),
        (utc(2026, 11, 1, 6, 30), NEW_YORK, "Sun 1 Nov 2026, 01:30 EST"),
        (utc(2026, 11, 26, 11, 0), "Asia/Dubai", "Thu 26 Nov 2026, 15:00 UTC+04:00"),
        (utc(2026, 11, 26, 9, 15), "Asia/Kathmandu", "Thu 26 Nov 2026, 15:00 UTC+05:45"),
        (utc(2026, 11, 26, 18, 0), "America/Sao_Paulo", "Thu 26 Nov 2026, 15:00 UTC-03:00"),
        (utc(2026, 1, 15, 12, 0), LONDON, "Thu 15 Jan 2026, 12:00 GMT"),
        (utc(2026, 7, 15, 11, 0), LONDON, "Wed 15 Jul 2026, 12:00 BST (UTC+01:00)"),
        (utc(2026, 11, 26, 15, 0), "UTC", "Thu 26 Nov 2026, 15:00 UTC"),
        (utc(2026, 11, 26, 15, 0), "", "Thu 26 Nov 2026, 15:00 UTC"),
        (utc(2026, 11, 26, 15, 0), "Nope/Nope", "Thu 26 Nov 2026, 15:00 UTC"),
        # tzdata's own abbreviations that others would read differently come with the offset.
        (utc(2026, 11, 26, 7, 0), "Asia/Manila", "Thu 26 Nov 2026, 15:00 PST (UTC+08:00)"),
        (utc(2026, 7, 15, 11, 0), "Europe/Dublin", "Wed 15 Jul 2026, 12:00 IST (UTC+01:00)"),
        (utc(2026, 11, 26, 7, 0), "Asia/Shanghai", "Thu 26 Nov 2026, 15:00 CST (UTC+08:00)"),
    ],
)
def test_format_for_user(moment, tz, expected):
    assert format_for_user(moment, tz) == expected


def test_format_for_user_treats_naive_as_utc_and_converts_other_zones():
    assert format_for_user(datetime(2026, 11, 26, 9, 30), KOLKATA) == "Thu 26 Nov 2026, 15:00 IST (UTC+05:30)"
    est = timezone(timedelta(hours=-5))
    assert (
        format_for_user(datetime(2026, 11, 25, 23, 0, tzinfo=est), KOLKATA) == "Thu 26 Nov 2026, 09:30 IST (UTC+05:30)"
    )
