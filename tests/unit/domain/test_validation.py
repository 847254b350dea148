"""validate_sale: one inline error per field (keyed by block_id, phrased as a fix), and a
LeadSquared body that is always well formed when there are none."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.model import RawSale
from bot.domain.validation import MAX_REVENUE, parse_revenue, validate_sale
from bot.leadsquared.client import sale_body

BLOCK_IDS = {"lead", "product_sku", "status", "revenue", "sales_owner", "sales_date"}
BODY_KEYS = {"ProspectId", "ProductSku", "Status", "Revenue", "SalesOwnerEmail", "SalesDate"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
TZ = "Asia/Kolkata"
GUID = "0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f"

VALID = RawSale(
    lead="priya@acme.in",
    product_sku="SKU-PRO",
    status="won",
    revenue="12000",
    sales_owner="Owner@Acme.in",
    sales_date="26/11/2026 15:00",
)


def check(raw: RawSale):
    return validate_sale(raw, tz=TZ, now=NOW)


def errors_for(**changes) -> dict[str, str]:
    result = check(replace(VALID, **changes))
    assert result.sale is None
    assert not result.ok
    return result.errors


# --- the happy path and the LeadSquared body ---------------------------------------------


def test_a_valid_sale_has_no_errors_and_normalised_fields():
    result = check(VALID)
    assert result.ok and result.errors == {}
    sale = result.sale
    assert sale.lead.text == "priya@acme.in"
    assert sale.lead.kind == "email"
    assert sale.lead.prospect_id is None  # resolved later, by a LeadSquared lookup
    assert sale.product_sku == "SKU-PRO"
    assert sale.status == "Won"
    assert sale.revenue == Decimal("12000")
    assert sale.sales_owner_email == "owner@acme.in"
    # 15:00 in Kolkata (+05:30) is 09:30 UTC.
    assert sale.sales_date_utc == datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)


def test_leadsquared_body_has_exactly_the_six_fields_in_wire_format():
    sale = check(VALID).sale
    body = sale_body(sale, GUID)
    assert set(body) == BODY_KEYS
    assert body == {
        "ProspectId": GUID,
        "ProductSku": "SKU-PRO",
        "Status": "Won",
        "Revenue": 12000,
        "SalesOwnerEmail": "owner@acme.in",
        "SalesDate": "2026-11-26 09:30:00",
    }
    # Revenue is a JSON number, not a string.
    wire = json.loads(json.dumps(body))
    assert isinstance(wire["Revenue"], int) and not isinstance(wire["Revenue"], bool)
    assert '"Revenue": 12000,' in json.dumps(body)


def test_a_decimal_revenue_is_a_json_float():
    body = sale_body(check(replace(VALID, revenue="1200.50")).sale, GUID)
    assert body["Revenue"] == 1200.5
    assert isinstance(body["Revenue"], float)
    assert json.loads(json.dumps(body))["Revenue"] == 1200.5


def test_sales_date_is_utc_in_leadsquared_format_whatever_the_users_zone():
    sale = validate_sale(replace(VALID, sales_date="26/11/2026 15:00"), tz="America/New_York", now=NOW).sale
    body = sale_body(sale, GUID)
    assert body["SalesDate"] == "2026-11-26 20:00:00"  # 15:00 EST = 20:00 UTC
    assert DATE_RE.match(body["SalesDate"])


def test_an_empty_date_means_now():
    sale = check(replace(VALID, sales_date="")).sale
    assert sale.sales_date_utc == NOW


def test_surrounding_whitespace_is_ignored():
    raw = RawSale(
        lead="  priya@acme.in ",
        product_sku=" SKU-PRO ",
        status=" Open ",
        revenue=" 1200 ",
        sales_owner=" owner@acme.in ",
        sales_date=" 26/11/2026 15:00 ",
    )
    sale = check(raw).sale
    assert sale.lead.text == "priya@acme.in"
    assert sale.product_sku == "SKU-PRO"
    assert sale.status == "Open"
    assert sale.revenue == Decimal("1200")
    assert sale.sales_owner_email == "owner@acme.in"


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("open", "Open"), ("OPEN", "Open"), ("Won", "Won"), ("wOn", "Won"), ("lost", "Lost"), ("LOST", "Lost")],
)
def test_status_is_case_insensitive_and_canonicalised(typed, expected):
    assert check(replace(VALID, status=typed)).sale.status == expected


@pytest.mark.parametrize("typed", ["", "   ", "won!", "closed", "W o n", "Wonn", "O", "Won\x00", "Wo\u200bn"])
def test_an_unknown_status_says_which_to_choose(typed):
    errors = errors_for(status=typed)
    assert set(errors) == {"status"}
    assert "Open, Won or Lost" in errors["status"]


def test_an_oversized_status_gets_the_same_clear_error():
    errors = errors_for(status="Won" * 10_000)
    assert set(errors) == {"status"}
    assert "Open, Won or Lost" in errors["status"]


# --- revenue -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1200", Decimal("1200")),
        ("1200.50", Decimal("1200.50")),
        ("12,000", Decimal("12000")),
        ("1,20,000", Decimal("120000")),  # Indian grouping
        ("1,200,000", Decimal("1200000")),
        ("0", Decimal("0")),
        ("0.5", Decimal("0.5")),
        ("1000000000000", MAX_REVENUE),  # the largest accepted
    ],
)
def test_revenue_accepts_plain_amounts(typed, expected):
    assert parse_revenue(typed) == expected
    sale = check(replace(VALID, revenue=typed)).sale
    assert sale.revenue == expected
    number = sale_body(sale, GUID)["Revenue"]
    assert isinstance(number, (int, float)) and not isinstance(number, bool)
    assert math.isfinite(number) and number >= 0
    assert Decimal(str(number)) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "abc",
        "-5",
        "+5",
        "1e5",
        "1E5",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "₹1200",
        "$1200",
        "1200 INR",
        "12.000,50",
        "1,2",
        "12,0000",
        "1.2.3",
        ".5",
        "5.",
        "0x10",
        "1_000",
        "twelve",
    ],
)
def test_revenue_rejects_anything_but_a_plain_amount(typed):
    assert parse_revenue(typed) is None
    errors = errors_for(revenue=typed)
    assert set(errors) == {"revenue"}
    message = errors["revenue"]
    assert "number" in message and "1200" in message  # says what to type instead
    assert "currency" in message


@pytest.mark.parametrize("typed", ["1000000000001", "9999999999999", "1,00,00,00,00,00,000", "9" * 40])
def test_huge_revenue_is_refused_as_a_typo(typed):
    errors = errors_for(revenue=typed)
    assert set(errors) == {"revenue"}
    assert "too large" in errors["revenue"] and "zeros" in errors["revenue"]


def test_empty_revenue_says_what_to_enter():
    for typed in ("", "   "):
        errors = errors_for(revenue=typed)
        assert set(errors) == {"revenue"}
        assert "Enter the revenue" in errors["revenue"] and "1200" in errors["revenue"]


# --- lead ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("priya@acme.in", "email"),
        ("Priya.Shah+sales@acme.co.in", "email"),
        ("+91 98765 43210", "phone"),
        ("9876543210", "phone"),
        ("+919876543210", "phone"),
        ("(022) 2345-6789", "phone"),
        (GUID, "prospect_id"),
        (GUID.upper(), "prospect_id"),
    ],
)
def test_lead_kinds(typed, kind):
    lead = check(replace(VALID, lead=typed)).sale.lead
    assert lead.kind == kind
    assert lead.text == typed
    assert lead.prospect_id == (typed if kind == "prospect_id" else None)


@pytest.mark.parametrize(
    "typed",
    ["Priya Shah", "priya@", "@acme.in", "12345", "not a lead", "0d2c1c9f-5a4b-4c3d-9e8f", "priya@acme", "<!channel>"],
)
def test_garbage_lead_says_what_a_lead_looks_like(typed):
    errors = errors_for(lead=typed)
    assert set(errors) == {"lead"}
    message = errors["lead"]
    assert "email" in message and "phone" in message and "ProspectId" in message


def test_empty_lead_says_what_to_enter():
    errors = errors_for(lead="  ")
    assert set(errors) == {"lead"}
    assert errors["lead"].startswith("Enter")
    assert "email" in errors["lead"] and "phone" in errors["lead"] and "ProspectId" in errors["lead"]


# --- SKU and sales owner ---------------------------------------------------------------------


def test_empty_sku_says_what_to_enter():
    errors = errors_for(product_sku=" ")
    assert set(errors) == {"product_sku"}
    assert "Enter the product SKU" in errors["product_sku"]


@pytest.mark.parametrize("typed", ["", "  ", "priya", "priya@acme", "priya @acme.in", "@acme.in", "priya@.in x"])
def test_sales_owner_must_be_an_email(typed):
    errors = errors_for(sales_owner=typed)
    assert set(errors) == {"sales_owner"}
    assert "email" in errors["sales_owner"]
    assert errors["sales_owner"].startswith("Enter")


# --- sales date ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["blah", "32/13/2026", "26/11/2099", "26/11/1999", "15:00 XYZ"])
def test_a_bad_date_says_how_to_write_one(typed):
    errors = errors_for(sales_date=typed)
    assert set(errors) == {"sales_date"}
    assert errors["sales_date"]


def test_an_unreadable_date_offers_examples():
    errors = errors_for(sales_date="blah")
    assert "Try" in errors["sales_date"] and "yesterday 5pm" in errors["sales_date"]


# --- control characters and oversized input, field by field ------------------------------

CONTROL_CHARACTERS = ["\x00", "\x07", "\x1b", "\x7f", "\u200b", "\u202e", "\ufeff"]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("lead", "priya@{}acme.in", ("control characters", "type it again")),
        ("product_sku", "SKU{}-PRO", ("control characters", "type it again")),
        ("revenue", "12{}000", ("control characters", "type it again")),
        ("sales_owner", "owner@{}acme.in", ("control characters", "type it again")),
        ("sales_date", "26/11/2026{}15:00", ("control characters", "retype")),
        ("status", "W{}on", ("Open, Won or Lost",)),
    ],
)
def test_control_characters_inside_any_field_give_a_clear_error(field, value, words, char):
    errors = errors_for(**{field: value.format(char)})
    assert set(errors) == {field}
    for word in words:
        assert word in errors[field]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("lead", "a" * 190 + "@acme.in" + "b" * 10, ("too long", "200")),
        ("product_sku", "S" * 101, ("too long", "100")),
        ("revenue", "1" * 41, ("too long", "40")),
        ("sales_owner", "o" * 250 + "@acme.in", ("too long", "254")),
        ("sales_date", "26/11/2026 15:00" + " " * 5 + "x" * 100, ("characters long", "100")),
        ("status", "Won " * 5000, ("Open, Won or Lost",)),
    ],
)
def test_oversized_input_in_any_field_gives_a_clear_error(field, value, words):
    errors = errors_for(**{field: value})
    assert set(errors) == {field}
    for word in words:
        assert word in errors[field]
    assert len(errors[field]) < 400  # the message doesn't echo the whole input back


def test_limits_are_inclusive():
    raw = replace(VALID, product_sku="S" * 100, sales_owner="o" * 246 + "@acme.in")
    assert len(raw.sales_owner) == 254
    assert check(raw).ok


def test_every_field_wrong_at_once_gives_one_error_per_field():
    raw = RawSale(lead="", product_sku="", status="", revenue="", sales_owner="", sales_date="nonsense")
    errors = check(raw).errors
    assert set(errors) == BLOCK_IDS
    assert all(isinstance(message, str) and message.strip() for message in errors.values())


def test_error_messages_are_one_line_sentences():
    raw = RawSale(lead="x", product_sku="\x00", status="?", revenue="abc", sales_owner="x", sales_date="blah")
    for message in check(raw).errors.values():
        assert "\n" not in message
        assert message.rstrip().endswith((".", "?"))


# --- fuzz ----------------------------------------------------------------------------------

# Any text: control characters, format characters, unassigned code points, lone surrogates.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
NEAR_MISS = st.text(alphabet="0123456789,.-+eE ₹$@acmeinWwOoNnLl:/\x00\u200b", max_size=20)


def field(*examples: str):
    """Mostly a valid value (so whole sales get through and their body is checked), else fuzz."""
    valid = st.sampled_from(examples)
    return st.integers(0, 9).flatmap(lambda n: valid if n < 7 else ANY_TEXT if n < 9 else NEAR_MISS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lead=field("priya@acme.in", "+91 98765 43210", GUID, "9876543210"),
    product_sku=field("SKU-PRO", "PRO", "sku 1"),
    status=field("Open", "won", "LOST", " Won "),
    revenue=field("1200", "1200.50", "12,000", "1,20,000", "0"),
    sales_owner=field("owner@acme.in", "Priya@Acme.IN"),
    sales_date=field("", "now", "yesterday 5pm", "26/11/2026 15:00", "2026-11-26 15:00 IST"),
    tz=st.sampled_from(["Asia/Kolkata", "UTC", "America/New_York", "", "Not/AZone"]),
)
def test_validate_sale_never_raises_and_only_lets_wire_valid_sales_through(
    lead, product_sku, status, revenue, sales_owner, sales_date, tz
):
    raw = RawSale(lead, product_sku, status, revenue, sales_owner, sales_date)
    result = validate_sale(raw, tz=tz, now=NOW)

    if result.sale is None:
        assert result.errors, "no sale and no error to show"
        assert set(result.errors) <= BLOCK_IDS
        for message in result.errors.values():
            assert isinstance(message, str) and message.strip()
        return

    assert result.errors == {}
    body = sale_body(result.sale, GUID)
    assert set(body) == BODY_KEYS
    assert body["Status"] in ("Open", "Won", "Lost")
    revenue_number = body["Revenue"]
    assert isinstance(revenue_number, (int, float)) and not isinstance(revenue_number, bool)
    assert math.isfinite(revenue_number) and revenue_number >= 0
    assert DATE_RE.match(body["SalesDate"])
    assert 1 <= len(body["ProductSku"]) <= 100 and body["ProductSku"] == body["ProductSku"].strip()
    assert "@" in body["SalesOwnerEmail"] and len(body["SalesOwnerEmail"]) <= 254
    json.dumps(body, allow_nan=False)  # serialisable as strict JSON
    assert result.sale.lead.kind in ("email", "phone", "prospect_id")


def test_raw_sale_to_dict_is_asdict():
    # to_dict skips asdict's deep copy because every field is a str; a field of another type
    # would need asdict back.
    from dataclasses import asdict, fields

    from bot.domain.model import RawSale

    assert {f.type for f in fields(RawSale)} == {"str"}
    raw = RawSale(lead="priya@acme.in", product_sku="SKU-PRO", status="Won", revenue="1,20,000", sales_date="now")
    assert raw.to_dict() == asdict(raw)
