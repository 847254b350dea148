"""parse_one_line: `/logsale priya@acme.in SKU-PRO won 12000 yesterday 5pm` -> a pre-filled form."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dates import parse_sales_date
from bot.domain.model import STATUSES, RawSale
from bot.domain.one_line import MAX_TEXT, parse_one_line


def test_the_issues_example():
    raw = parse_one_line("priya@acme.in SKU-PRO won 12000 yesterday 5pm")
    assert raw == RawSale(
        lead="priya@acme.in",
        product_sku="SKU-PRO",
        status="Won",
        revenue="12000",
        sales_owner="",
        sales_date="yesterday 5pm",
    )


@pytest.mark.parametrize("parts", list(permutations(["priya@acme.in", "SKU-PRO", "won", "12000", "yesterday 5pm"])))
def test_tokens_are_placed_by_shape_in_any_order(parts):
    raw = parse_one_line(" ".join(parts))
    assert raw.lead == "priya@acme.in"
    assert raw.product_sku == "SKU-PRO"
    assert raw.status == "Won"
    assert raw.revenue == "12000"
    assert raw.sales_date == "yesterday 5pm"
    assert raw.sales_owner == ""


@pytest.mark.parametrize("word", ["won", "WON", "Won", "wOn"])
def test_status_word_is_case_insensitive(word):
    assert parse_one_line(f"priya@acme.in SKU-PRO {word} 12000").status == "Won"


@pytest.mark.parametrize(("word", "status"), [("open", "Open"), ("LOST", "Lost")])
def test_each_status(word, status):
    assert parse_one_line(f"priya@acme.in SKU-PRO {word} 12000").status == status


@pytest.mark.parametrize("phone", ["+919876543210", "9876543210", "+14155550123", "919876543210"])
def test_phone_numbers_are_the_lead(phone):
    raw = parse_one_line(f"SKU-PRO won 12000 {phone} yesterday")
    assert raw.lead == phone
    assert raw.revenue == "12000"
    assert raw.sales_date == "yesterday"


def test_a_phone_number_first_then_the_amount():
    raw = parse_one_line("+919876543210 SKU-PRO lost 5000")
    assert (raw.lead, raw.product_sku, raw.status, raw.revenue) == ("+919876543210", "SKU-PRO", "Lost", "5000")


def test_a_prospect_id_is_the_lead():
    guid = "0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f"
    raw = parse_one_line(f"SKU-PRO {guid} open 12000")
    assert raw.lead == guid
    assert raw.product_sku == "SKU-PRO"


def test_an_amount_is_not_taken_for_a_short_phone_number():
    raw = parse_one_line("12000 priya@acme.in SKU-PRO won")
    assert raw.lead == "priya@acme.in"
    assert raw.revenue == "12000"


@pytest.mark.parametrize(
    ("typed", "revenue"),
    [("12,000", "12000"), ("12000.50", "12000.50"), ("1,20,000", "120000"), ("1234567", "1234567")],
)
def test_amount_shapes_become_revenue(typed, revenue):
    raw = parse_one_line(f"priya@acme.in SKU-PRO won {typed} yesterday")
    assert raw.revenue == revenue
    assert raw.lead == "priya@acme.in"
    assert raw.sales_date == "yesterday"


def test_a_large_decimal_amount_before_the_lead_is_revenue_not_a_phone():
    # 10 digits with a decimal part: money, not a phone number.
    raw = parse_one_line("SKU-PRO won 12345678.90 priya@acme.in")
    assert raw.lead == "priya@acme.in"
    assert raw.revenue == "12345678.90"
    assert raw.sales_date == ""


def test_a_known_sku_is_recognised_case_insensitively_and_canonicalised():
    raw = parse_one_line("priya@acme.in sku-pro won 12000", known_skus={"SKU-PRO", "SKU-BASIC"})
    assert raw.product_sku == "SKU-PRO"


def test_a_known_sku_wins_over_an_earlier_code_like_token():
    raw = parse_one_line("priya@acme.in REF-7 gold won 12000", known_skus=frozenset({"GOLD"}))
    assert raw.product_sku == "GOLD"
    assert raw.sales_date == "REF-7"  # left for the date field, where the validator will flag it


def test_a_known_sku_that_does_not_look_like_a_code():
    raw = parse_one_line("priya@acme.in won 12000 Yesterday gold-plan", known_skus={"Gold-Plan"})
    assert raw.product_sku == "Gold-Plan"
    assert raw.sales_date == "Yesterday"


@pytest.mark.parametrize(
    "line",
    [
        "priya@acme.in SKU-PRO won 26 Nov 2026 3pm",
        "priya@acme.in SKU-PRO won 12000 26 Nov 2026 3pm",
        "priya@acme.in 26 Nov 2026 3pm SKU-PRO won 12000",
        "26 Nov 2026 3pm priya@acme.in SKU-PRO won 12000",
    ],
)
def test_a_written_date_stays_the_date_and_its_numbers_are_not_revenue(line):
    raw = parse_one_line(line)
    assert raw.sales_date == "26 Nov 2026 3pm"
    assert raw.revenue in ("", "12000")
    assert raw.revenue != "26" and raw.revenue != "2026"
    assert raw.product_sku == "SKU-PRO"


def test_month_first_date_with_comma_stays_the_date():
    raw = parse_one_line("Nov 26, 2026 priya@acme.in SKU-PRO won 12000")
    assert raw.sales_date == "Nov 26, 2026"
    assert raw.revenue == "12000"


def test_an_amount_that_looks_like_a_year_is_still_revenue_away_from_a_month():
    raw = parse_one_line("priya@acme.in SKU-PRO won 2026")
    assert raw.revenue == "2026"


@pytest.mark.parametrize("date", ["26/11/2026 15:00", "2026-11-26 15:00 IST", "friday 3pm", "last monday 10:30am"])
def test_date_shapes_are_not_taken_for_a_sku_or_revenue(date):
    raw = parse_one_line(f"priya@acme.in SKU-PRO won 12000 {date}")
    assert raw.product_sku == "SKU-PRO"
    assert raw.revenue == "12000"
    assert raw.sales_date == date


def test_comma_separated_line():
    raw = parse_one_line("priya@acme.in, SKU-PRO, won, 12,000, yesterday 5pm")
    assert raw.lead == "priya@acme.in"
    assert raw.product_sku == "SKU-PRO"
    assert raw.status == "Won"
    assert raw.revenue == "12000"
    assert raw.sales_date == "yesterday 5pm"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_gives_an_empty_form(text):
    assert parse_one_line(text) == RawSale()


def test_missing_pieces_stay_empty():
    raw = parse_one_line("priya@acme.in")
    assert raw == RawSale(lead="priya@acme.in")


def test_overlong_text_is_cut():
    raw = parse_one_line("priya@acme.in SKU-PRO won 12000 " + "x" * 10_000)
    assert raw.lead == "priya@acme.in"
    assert len(raw.sales_date) <= MAX_TEXT


# --- fuzz ----------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "priya@acme.in",
        "+919876543210",
        "9876543210",
        "SKU-PRO",
        "sku-basic",
        "won",
        "LOST",
        "open",
        "12000",
        "12,000",
        "12000.50",
        "1,20,000",
        "26",
        "Nov",
        "2026",
        "3pm",
        "yesterday",
        "15:00",
        "IST",
        "+05:30",
        ",",
        "<!channel>",
    ]
)
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
LINES = st.one_of(ANY_TEXT, st.lists(st.one_of(WORDS, ANY_TEXT), max_size=12).map(" ".join))
KNOWN = st.frozensets(st.one_of(st.sampled_from(["SKU-PRO", "Gold", "x"]), st.text(max_size=10)), max_size=4)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(LINES, st.text(max_size=2000)), known=KNOWN)
def test_parse_one_line_never_raises_and_only_returns_pieces_of_the_text(text, known):
    raw = parse_one_line(text, known_skus=known)

    assert isinstance(raw, RawSale)
    for value in raw.to_dict().values():
        assert isinstance(value, str)
        assert len(value) <= MAX_TEXT
        assert value == value.strip()
    assert raw.sales_owner == ""

    seen = text[:MAX_TEXT]
    assert raw.lead in seen
    assert raw.status == "" or (raw.status in STATUSES and raw.status.lower() in seen.lower())
    assert raw.product_sku in seen or raw.product_sku in known
    assert raw.revenue in seen.replace(",", "")
    assert "," not in raw.revenue
    for token in raw.sales_date.split():
        assert token in seen


# --- the date forms dates.py reads, mixed with amounts ---------------------------------------

NEW_DATE_FORMS = [
    "yesterday 3.30pm",
    "yesterday 3.45 p.m.",
    "15.30",
    "26/11/2026 15.30",
    "26.11.2026 15.30",
    "noon",
    "yesterday noon",
    "12 noon",
    "midnight",
    "2 days ago",
    "two days ago 3.30pm",
    "an hour ago",
    "120 minutes ago",
    "2hrs ago",
    "half an hour ago",
    "this morning",
    "this afternoon",
    "this evening",
    "tonight",
    "last night",
    "yesterday evening 7.30",
    "tomorrow 9am",
    "day before yesterday 4pm",
    "1530 hrs",
    "yesterday @ 3pm",
]
AMOUNTS = [("12000", "12000"), ("12,000", "12000"), ("2500.50", "2500.50"), ("1,20,000.75", "120000.75")]


@pytest.mark.parametrize("date", NEW_DATE_FORMS)
@pytest.mark.parametrize(("typed", "revenue"), AMOUNTS)
def test_new_date_forms_stay_the_date_and_amounts_stay_revenue(date, typed, revenue):
    for line in (
        f"priya@acme.in SKU-PRO won {typed} {date}",
        f"{date} priya@acme.in SKU-PRO won {typed}",
        f"priya@acme.in {typed} {date} won SKU-PRO",
    ):
        raw = parse_one_line(line)
        assert raw.sales_date == date, line
        assert raw.revenue == revenue, line
        assert raw.product_sku == "SKU-PRO", line
        assert (raw.lead, raw.status) == ("priya@acme.in", "Won"), line


@pytest.mark.parametrize("date", ["yesterday 3.30pm", "this evening", "2 days ago", "tonight", "3.30 p.m."])
def test_date_words_are_never_taken_for_the_sku_when_none_is_given(date):
    raw = parse_one_line(f"priya@acme.in won 12000 {date}")
    assert raw.product_sku == ""
    assert raw.sales_date == date


def test_the_issues_example_with_a_dot_time_reads_as_the_time_meant():
    raw = parse_one_line("priya@acme.in SKU-PRO won 12000 yesterday 3.30pm")
    assert (raw.revenue, raw.sales_date) == ("12000", "yesterday 3.30pm")
    # Friday 27 Nov 2026 15:30 in Kolkata: yesterday 15:30 IST is 10:00 UTC.
    now = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    assert parse_sales_date(raw.sales_date, tz="Asia/Kolkata", now=now) == datetime(
        2026, 11, 26, 10, 0, tzinfo=timezone.utc
    )


def test_a_count_before_a_time_unit_is_not_revenue_but_a_later_amount_is():
    raw = parse_one_line("priya@acme.in SKU-PRO won 90 minutes ago 12000")
    assert raw.sales_date == "90 minutes ago"
    assert raw.revenue == "12000"
