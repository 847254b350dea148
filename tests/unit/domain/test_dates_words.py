"""Issue 9: what salespeople type that dateutil alone doesn't read (bot/domain/dates.py).

Every expected value is worked out by hand from NOW, the user's zone and what the person
meant; the comments show the working.
"""

from __future__ import annotations

import pytest

from tests.unit.domain.dates_support import KOLKATA, UTC, assert_rejected, parse, utc

# --- times written with a dot (India, UK, Europe) ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.30pm", utc(2026, 11, 27, 10, 0)),  # 15:30 IST today
        ("3.30 pm", utc(2026, 11, 27, 10, 0)),
        ("3.30PM", utc(2026, 11, 27, 10, 0)),
        ("03.30 PM", utc(2026, 11, 27, 10, 0)),
        ("3.30 p.m.", utc(2026, 11, 27, 10, 0)),
        ("3.30p.m.", utc(2026, 11, 27, 10, 0)),
        ("3 p.m.", utc(2026, 11, 27, 9, 30)),
        ("10.15 a.m.", utc(2026, 11, 27, 4, 45)),
        ("yesterday 3.45pm", utc(2026, 11, 26, 10, 15)),  # 15:45 IST on the 26th
        ("yesterday, 3.45 pm", utc(2026, 11, 26, 10, 15)),
        ("15.30", utc(2026, 11, 27, 10, 0)),  # not "the 15th"
        ("9.15", utc(2026, 11, 27, 3, 45)),
        ("12.30am", utc(2026, 11, 26, 19, 0)),  # 00:30 IST on the 27th
        ("26/11/2026 15.30", utc(2026, 11, 26, 10, 0)),
        ("26.11.2026 15.30", utc(2026, 11, 26, 10, 0)),
        ("26.11 15.30", utc(2026, 11, 26, 10, 0)),
        ("26 Nov 2026, 3.30pm", utc(2026, 11, 26, 10, 0)),
        ("last friday 3.30pm", utc(2026, 11, 20, 10, 0)),
        ("1530 hrs", utc(2026, 11, 27, 10, 0)),
        ("15:30 hrs", utc(2026, 11, 27, 10, 0)),
        ("26/11/2026 15.30hrs", utc(2026, 11, 26, 10, 0)),
        # "11.12" is a time when a date is written next to it, a date next to a time.
        ("yesterday 11.12", utc(2026, 11, 26, 5, 42)),
        ("26/11/2026 11.12", utc(2026, 11, 26, 5, 42)),
        ("11.11 3pm", utc(2026, 11, 11, 9, 30)),  # 11 Nov, 15:00 IST
        # Two numbers that can only be a date: day.month, this year.
        ("3.5", utc(2026, 5, 2, 18, 30)),  # 3 May 00:00 IST (dateutil alone says 3 Nov)
        ("15.5", utc(2026, 5, 14, 18, 30)),
    ],
)
def test_dot_times(text, expected):
    assert parse(text) == expected


def test_dot_times_in_other_zones_and_locales():
    assert parse("26/11/2026 15.30", tz="Europe/London") == utc(2026, 11, 26, 15, 30)  # GMT
    assert parse("26.11.2026 15.30", tz="Europe/Berlin") == utc(2026, 11, 26, 14, 30)  # CET
    assert parse("11/26/2026 3.30pm", tz="America/New_York", locale="en-US") == utc(2026, 11, 26, 20, 30)
    assert parse("5.3", tz="UTC", locale="en-US") == utc(2026, 5, 3)  # May 3rd, month first


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("11.12", ['"11.12"', "11:12", "11 Dec"]),  # no other clue: time or date?
        ("3.5pm", ['"3.5pm"', "two digits", "3:05pm"]),
        ("3.75", ['"3.75"', "time or a date"]),
        ("13.30pm", ["13.30pm"]),
        ("3.30pm 15:00", ["two times", "3:30pm", "15:00"]),
        ("3 pm 15.30", ["two times", "3 pm", "15:30"]),
        ("3pm 4pm", ["two times", "3pm", "4pm"]),
    ],
)
def test_dot_times_that_cannot_be_placed_are_refused_naming_the_part(text, fragments):
    assert_rejected(text, *fragments)


# --- noon and midnight ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("noon", utc(2026, 11, 27, 6, 30)),  # 12:00 IST
        ("12 noon", utc(2026, 11, 27, 6, 30)),
        ("12noon", utc(2026, 11, 27, 6, 30)),
        ("12:00 noon", utc(2026, 11, 27, 6, 30)),
        ("midday", utc(2026, 11, 27, 6, 30)),
        ("yesterday noon", utc(2026, 11, 26, 6, 30)),
        ("noon yesterday", utc(2026, 11, 26, 6, 30)),
        ("26/11/2026 noon", utc(2026, 11, 26, 6, 30)),
        ("midnight", utc(2026, 11, 26, 18, 30)),  # the one that just passed: 00:00 IST today
        ("12 midnight", utc(2026, 11, 26, 18, 30)),
    ],
)
def test_noon_and_midnight(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["yesterday midnight", "26/11/2026 midnight", "midnight friday"])
def test_midnight_of_a_named_day_is_refused_as_start_or_end(text):
    assert_rejected(text, "start of that day", "end")


# --- N units ago ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("an hour ago", utc(2026, 11, 27, 9, 0)),
        ("a hour ago", utc(2026, 11, 27, 9, 0)),
        ("1 hour ago", utc(2026, 11, 27, 9, 0)),
        ("2 hours ago", utc(2026, 11, 27, 8, 0)),
        ("2hrs ago", utc(2026, 11, 27, 8, 0)),
        ("3 hr ago", utc(2026, 11, 27, 7, 0)),
        ("120 hrs ago", utc(2026, 11, 22, 10, 0)),  # 5 days
        ("1530 hours ago", utc(2026, 9, 24, 16, 0)),  # 63 days 18 hours: a length, not 15:30
        ("90 minutes ago", utc(2026, 11, 27, 8, 30)),
        ("30 mins ago", utc(2026, 11, 27, 9, 30)),
        ("a minute ago", utc(2026, 11, 27, 9, 59)),
        ("half an hour ago", utc(2026, 11, 27, 9, 30)),
        ("2 days ago", utc(2026, 11, 25, 10, 0)),  # same clock time, like "yesterday"
        ("two days ago", utc(2026, 11, 25, 10, 0)),
        ("3 days back", utc(2026, 11, 24, 10, 0)),  # Indian English
        ("a day ago", utc(2026, 11, 26, 10, 0)),
        ("a week ago", utc(2026, 11, 20, 10, 0)),
        ("2 weeks ago", utc(2026, 11, 13, 10, 0)),
        ("2 days ago 3pm", utc(2026, 11, 25, 9, 30)),
        ("2 days ago at 3.30pm", utc(2026, 11, 25, 10, 0)),
        ("2 Days Ago", utc(2026, 11, 25, 10, 0)),
        ("day before yesterday", utc(2026, 11, 25, 10, 0)),  # like "yesterday": 15:30 IST, on the 25th
        ("the day before yesterday 4pm", utc(2026, 11, 25, 10, 30)),
    ],
)
def test_ago(text, expected):
    assert parse(text) == expected


def test_hours_ago_is_elapsed_time_across_a_dst_change():
    # 1 Nov 2026 06:30 UTC is 01:30 EST (the second 01:30 in New York); an hour earlier
    # was 01:30 EDT = 05:30 UTC.
    assert parse("an hour ago", tz="America/New_York", now=utc(2026, 11, 1, 6, 30)) == utc(2026, 11, 1, 5, 30)


def test_days_ago_keeps_the_wall_clock_across_a_dst_change():
    # Mon 2 Nov 2026 09:00 EST; two days earlier, Sat 31 Oct 09:00, was EDT (-04:00).
    assert parse("2 days ago", tz="America/New_York", now=utc(2026, 11, 2, 14, 0)) == utc(2026, 10, 31, 13, 0)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("2 hours ago 3pm", ['"2 hours ago"', '"3pm"']),
        ("yesterday 2 hours ago", ['"2 hours ago"', '"yesterday"']),
        ("99999 days ago", ["before the year 2000"]),
        ("a few hours ago", ['"hours"']),
        ("yesterday 2 hours", ['"hours"', "ago"]),
        ("3 months ago", ["couldn't read"]),
    ],
)
def test_ago_that_cannot_be_used_is_refused(text, fragments):
    assert_rejected(text, *fragments)


# --- parts of the day ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("this morning", utc(2026, 11, 27, 3, 30)),  # 09:00 IST
        ("this afternoon", utc(2026, 11, 27, 8, 30)),  # 14:00 IST
        ("this evening", utc(2026, 11, 27, 12, 30)),  # 18:00 IST
        ("tonight", utc(2026, 11, 27, 14, 30)),  # 20:00 IST, 4.5 h from now: allowed
        ("today morning", utc(2026, 11, 27, 3, 30)),
        ("yesterday morning", utc(2026, 11, 26, 3, 30)),
        ("yesterday evening", utc(2026, 11, 26, 12, 30)),
        ("yesterday night", utc(2026, 11, 26, 14, 30)),
        ("last night", utc(2026, 11, 26, 14, 30)),
        ("thursday afternoon", utc(2026, 11, 26, 8, 30)),
        ("last friday evening", utc(2026, 11, 20, 12, 30)),
        # A time with the part of the day: the time wins, the part says am or pm.
        ("this morning 10am", utc(2026, 11, 27, 4, 30)),
        ("this morning 9.30", utc(2026, 11, 27, 4, 0)),
        ("this afternoon 3.30", utc(2026, 11, 27, 10, 0)),  # 15:30
        ("this evening 7", utc(2026, 11, 27, 13, 30)),  # 19:00
        ("yesterday evening 7.30", utc(2026, 11, 26, 14, 0)),  # 19:30
        ("tonight at 9", utc(2026, 11, 27, 15, 30)),  # 21:00
        ("yesterday afternoon 3pm", utc(2026, 11, 26, 9, 30)),
    ],
)
def test_parts_of_the_day(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("this evening 9am", ["09:00", "evening"]),
        ("this morning 3pm", ["15:00", "morning"]),
        ("yesterday 3", ["morning or the afternoon", "3pm"]),
    ],
)
def test_a_time_that_contradicts_the_part_of_the_day_is_refused(text, fragments):
    assert_rejected(text, *fragments)


# --- tomorrow, within the one-day allowance --------------------------------------------------


def test_tomorrow_within_the_allowance():
    assert parse("tomorrow") == utc(2026, 11, 27, 18, 30)  # 00:00 IST on the 28th
    assert parse("tomorrow 9am") == utc(2026, 11, 28, 3, 30)  # 17.5 h ahead
    assert parse("tomorrow morning") == utc(2026, 11, 28, 3, 30)
    # Sydney is at 21:00 Friday (AEDT, +11:00): Saturday 09:00 is 12 h ahead.
    assert parse("tomorrow 9am", tz="Australia/Sydney") == utc(2026, 11, 27, 22, 0)


def test_tomorrow_beyond_the_allowance_is_refused():
    assert_rejected("tomorrow 4pm", "in the future")  # 28 Nov 10:30 UTC, 24.5 h ahead
    assert_rejected("tomorrow night", "in the future")


# --- what the help and the form promise ----------------------------------------------------


def _help_examples():
    import re

    from bot.listeners.commands.logsale import HELP

    snippets = re.findall(r"`([^`]+)`", HELP.split("Dates:", 1)[1])
    return [s for s in snippets if s not in ("11/12",)]


@pytest.mark.parametrize("text", _help_examples())
@pytest.mark.parametrize("tz", [KOLKATA, "America/New_York", "Australia/Sydney"])
def test_every_date_example_in_the_help_is_read(text, tz):
    # "up to a day ahead": tomorrow 10am is 18.5 h away in Kolkata, 29 h in New York.
    if text.startswith("tomorrow") and tz == "America/New_York":
        assert_rejected(text, "in the future", tz=tz)
        return
    assert parse(text, tz=tz).tzinfo is UTC


def test_the_help_states_what_the_parts_of_the_day_mean():
    from bot.listeners.commands.logsale import HELP

    assert parse("this morning") == utc(2026, 11, 27, 3, 30) and "`this morning` (09:00)" in HELP
    assert parse("this afternoon") == utc(2026, 11, 27, 8, 30) and "`this afternoon` (14:00)" in HELP
    assert parse("this evening") == utc(2026, 11, 27, 12, 30) and "`this evening` (18:00)" in HELP
    assert parse("tonight") == utc(2026, 11, 27, 14, 30) and "`tonight` (20:00)" in HELP
    assert parse("yesterday evening 7.30") == utc(2026, 11, 26, 14, 0) and "(19:30)" in HELP


@pytest.mark.parametrize(("locale", "expected"), [("en-US", utc(2026, 11, 12)), ("en-IN", None)])
def test_the_help_order_example(locale, expected):
    # "`11/12` is 12 Nov in an en-US Slack, 11 Dec otherwise" (11 Dec is still ahead of NOW).
    if expected is None:
        assert_rejected("11/12", "11 Dec 2026", tz="UTC", locale=locale)
    else:
        assert parse("11/12", tz="UTC", locale=locale) == expected


@pytest.mark.parametrize("tz", [KOLKATA, "America/New_York", "Australia/Sydney"])
def test_every_example_in_the_forms_placeholder_and_hint_is_read(tz):
    from bot.domain.model import RawSale
    from bot.slack_ui.modal import ModalContext, build_logsale_modal

    modal = build_logsale_modal(RawSale(), ModalContext(tz=tz))
    block = next(b for b in modal["blocks"] if b.get("block_id") == "sales_date")
    examples = block["element"]["placeholder"]["text"].split(" · ")
    assert examples[0] == "empty = now"
    for text in ["", *examples[1:]]:
        assert parse(text, tz=tz).tzinfo is UTC, text
    hint = block["hint"]["text"]
    assert tz in hint
    assert parse("26/11/2026 15:00 +05:30", tz=tz) == utc(2026, 11, 26, 9, 30) and "+05:30" in hint
    assert parse("26/11/2026 15:00 EST", tz=tz) == utc(2026, 11, 26, 20, 0) and "EST" in hint
    assert "morning = 09:00, afternoon 14:00, evening 18:00, tonight 20:00" in hint  # pinned above


# --- nothing dropped ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        # dateutil alone: 26 Nov 2025 at 20:26, the 4th at 15:00, 02:00 yesterday, 27 Nov.
        ("Nov 26 2025 2026", ["two years", "2025", "2026"]),
        ("3pm and 4", ['"and"']),
        ("yesterday or today", ['"or"']),
        ("yesterday - 3pm", ['"-"']),
        ("between 3 and 4pm", ['"between"']),
        ("yesterday 2 hours", ['"hours"']),
        ("Nov", ["which day"]),
        ("Nov 2026", ["which day"]),
        ("11/2026", ["which day"]),
        ("2026", ["which day"]),
        ("yesterday around 3pm", ["yesterday around 3pm"]),
        ("3pm ish", ['"ISH"']),
    ],
)
def test_words_that_would_be_dropped_or_misread_are_refused_naming_them(text, fragments):
    assert_rejected(text, *fragments)


def test_a_day_without_a_month_is_this_months_and_a_time_alone_is_today():
    assert parse("26th") == utc(2026, 11, 25, 18, 30)
    assert parse("3pm, 26th") == utc(2026, 11, 26, 9, 30)
    assert parse("26/11/2026 2030") == utc(2026, 11, 26, 15, 0)  # 20:30 IST, written as HHMM
