"""Labels survive: what the salesperson picked reads back as a person reads it; revenue carries the
account's currency and the user's locale grouping; the currency is never waited for."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

import pytest

from bot.delivery.outbox import SaleState
from bot.domain.model import RawSale
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.currency import AccountCurrency, CurrencyCache, currency_from_setting
from bot.leadsquared.errors import ErrorKind, LeadSquaredError
from bot.slack_ui.messages import (
    format_revenue,
    group_number,
    history_message,
    lead_description,
    posted_message,
    product_description,
    undo_note,
    undone_message,
)
from bot.slack_ui.modal import ModalContext, build_logsale_modal, read_raw_sale
from tests.standins.leadsquared import LeadSquaredStandIn
from tests.unit.slack_ui.test_slack_ui import make_record

PID = "8f6b2a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
LEAD_OPTION_TEXT = "Priya Shah · priya@acme.in · 9876543210"
PRODUCT_OPTION_TEXT = "SKU-PRO · Pro plan"
RUPEE = AccountCurrency("₹", "INR")


def slack_option(text: str, value: str) -> dict:
    # A picked option as Slack returns it in view.state.values (text object + value).
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


def submitted_view(lead_option: dict | None, product_option: dict | None) -> dict:
    return {
        "id": "V1",
        "type": "modal",
        "callback_id": "logsale",
        "state": {
            "values": {
                "lead": {"lead": {"type": "external_select", "selected_option": lead_option}},
                "product_sku": {"product_sku": {"type": "external_select", "selected_option": product_option}},
                "status": {"status": {"type": "static_select", "selected_option": slack_option("Won", "Won")}},
                "revenue": {"revenue": {"type": "number_input", "value": "1200000"}},
                "sales_owner": {"sales_owner": {"type": "email_text_input", "value": "owner@acme.in"}},
                "sales_date": {"sales_date": {"type": "plain_text_input", "value": ""}},
            }
        },
    }


# --- read_raw_sale keeps what was picked -------------------------------------------------------------


def test_read_raw_sale_keeps_the_picked_options_text():
    raw = read_raw_sale(
        submitted_view(slack_option(LEAD_OPTION_TEXT, PID), slack_option(PRODUCT_OPTION_TEXT, "SKU-PRO"))
    )
    assert (raw.lead, raw.lead_label) == (PID, LEAD_OPTION_TEXT)
    assert (raw.product_sku, raw.product_label) == ("SKU-PRO", PRODUCT_OPTION_TEXT)
    assert RawSale.from_dict(raw.to_dict()) == raw  # survives the outbox's raw JSON


def test_an_option_that_only_repeats_its_value_adds_no_label():
    raw = read_raw_sale(submitted_view(slack_option("priya@acme.in", "priya@acme.in"), None))
    assert raw.lead == "priya@acme.in" and raw.lead_label == "" and raw.product_label == ""


@pytest.mark.parametrize("text", [None, 5, {"text": 7}, {"type": "plain_text"}, "Priya", []])
def test_an_oddly_shaped_option_text_gives_no_label(text):
    raw = read_raw_sale(submitted_view({"text": text, "value": PID}, None))
    assert raw.lead == PID and raw.lead_label == ""


def test_stored_sales_from_before_labels_still_read():
    assert RawSale.from_dict({"lead": PID, "product_sku": "SKU-PRO"}).lead_label == ""


# --- the words for a lead and a product ---------------------------------------------------------------


def picked_record(lead_text: str = LEAD_OPTION_TEXT, product_text: str = PRODUCT_OPTION_TEXT, **changes):
    raw = RawSale(lead=PID, product_sku="SKU-PRO", status="Won", revenue="1200000", lead_label=lead_text)
    raw = replace(raw, product_label=product_text)
    return make_record(raw=raw, lead_text=PID, prospect_id=PID, lead_label=None, revenue="1200000", **changes)


@pytest.mark.parametrize(
    ("option_text", "shown"),
    [
        ("Priya Shah · priya@acme.in · 9876543210", "Priya Shah (priya@acme.in)"),
        ("Priya Shah · priya@acme.in", "Priya Shah (priya@acme.in)"),
        ("Priya Shah · 9876543210", "Priya Shah (9876543210)"),
        ("priya@acme.in · 9876543210", "priya@acme.in · 9876543210"),  # no name: as shown in the list
        ("Priya Shah", "Priya Shah"),
        ("Shah · Co · priya@acme.in · 98765", "Shah · Co (priya@acme.in)"),  # a name with the separator
    ],
)
def test_a_picked_lead_reads_as_name_and_email(option_text, shown):
    assert lead_description(picked_record(option_text)) == shown


def test_a_picked_lead_never_shows_as_a_bare_prospect_id():
    message = posted_message(picked_record())
    fields = [f["text"] for b in message["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    assert "Lead: Priya Shah (priya@acme.in)" in fields
    assert "Product: SKU-PRO · Pro plan" in fields
    assert PID not in str(message)


def test_the_typed_choice_is_not_a_name_so_the_resolvers_label_applies():
    raw = RawSale(lead="priya@acme.in", product_sku="SKU-NEW", lead_label="Use “priya@acme.in”")
    raw = replace(raw, product_label="Use “SKU-NEW”")
    record = make_record(raw=raw, lead_text="priya@acme.in", lead_label="Priya Shah", product_sku="SKU-NEW")
    assert lead_description(record) == "Priya Shah (priya@acme.in)"
    assert product_description(record) == "SKU-NEW"


def test_a_typed_prospect_id_without_a_name_shows_as_typed():
    record = make_record(raw=RawSale(lead=PID), lead_text=PID, lead_label=None)
    assert lead_description(record) == PID


def test_a_product_label_for_another_sku_is_not_used():
    record = picked_record(product_text="SKU-GOLD · Gold plan")
    assert product_description(record) == "SKU-PRO"


def test_history_undo_edit_and_cancel_note_use_the_same_words():
    record = picked_record()
    line = history_message([record], RUPEE)["blocks"][1]["text"]["text"]
    assert "Priya Shah (priya@acme.in) · SKU-PRO · Pro plan · Won · ₹12,00,000 · logged" in line
    undone = str(undone_message(replace(record, state=SaleState.CANCELLED), "U0BOSS", RUPEE))
    assert "Lead: Priya Shah (priya@acme.in)" in undone and "Revenue: ₹12,00,000" in undone
    note = undo_note(record, "boss", "U0BOSS", RUPEE)
    assert note == (
        "Undone from Slack (/logsale) by boss (U0BOSS): "
        "Priya Shah (priya@acme.in) · SKU-PRO · Pro plan · Won · ₹12,00,000"
    )


def test_edit_and_retry_reopens_the_modal_with_the_picked_options():
    modal = build_logsale_modal(picked_record().raw, ModalContext(), lead_option_label="other", search_enabled=True)
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    lead_initial = blocks["lead"]["element"]["initial_option"]
    assert (lead_initial["text"]["text"], lead_initial["value"]) == (LEAD_OPTION_TEXT, PID)
    assert blocks["product_sku"]["element"]["initial_option"]["text"]["text"] == PRODUCT_OPTION_TEXT
    # …and submitting it untouched gives back the same sale, labels included.
    state = {
        bid: {bid: {"type": "external_select", "selected_option": blocks[bid]["element"]["initial_option"]}}
        for bid in ("lead", "product_sku")
    }
    raw = read_raw_sale({"state": {"values": state}})
    assert (raw.lead, raw.lead_label, raw.product_sku, raw.product_label) == (
        PID,
        LEAD_OPTION_TEXT,
        "SKU-PRO",
        PRODUCT_OPTION_TEXT,
    )


# --- revenue: grouping and currency -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "amount", "shown"),
    [
        ("en-IN", "1200000", "12,00,000"),  # lakh and crore
        ("en-IN", "123456789", "12,34,56,789"),
        ("en-US", "1200000", "1,200,000"),
        ("en-GB", "1200000", "1,200,000"),
        ("de-DE", "1200000", "1.200.000"),
        ("de-DE", "1200000.5", "1.200.000,50"),
        ("en-US", "12000.5", "12,000.50"),  # money: two decimals when there are any
        ("en-US", "12000.125", "12,000.125"),  # never rounded away
        ("en-US", "999", "999"),
        ("en-US", "0", "0"),
        (None, "1200000", "1,200,000"),  # unknown locale: en-US
        ("xx-YY", "1200000", "1,200,000"),
        ("es-LA", "1200000", "1,200,000"),  # Slack's Latin-American Spanish is CLDR's es-419
    ],
)
def test_grouping_follows_the_slack_locale(locale, amount, shown):
    assert group_number(Decimal(amount), locale) == shown


@pytest.mark.parametrize(
    ("locale", "currency", "shown"),
    [
        ("en-IN", AccountCurrency("₹", "INR"), "₹12,00,000"),
        ("en-US", AccountCurrency("$", "USD"), "$1,200,000"),
        ("en-US", AccountCurrency("USD", "USD"), "USD\u00a01,200,000"),
        ("de-DE", AccountCurrency("€", "EUR"), "1.200.000\u00a0€"),
        ("en-IN", None, "12,00,000"),
    ],
)
def test_revenue_carries_the_accounts_currency(locale, currency, shown):
    assert format_revenue("1200000", locale, currency) == shown


@pytest.mark.parametrize("text", ["", "abc", "NaN", "Infinity", "12,000"])
def test_revenue_that_is_not_a_number_is_shown_as_it_is(text):
    assert format_revenue(text, "en-IN", RUPEE) == text


# --- the account's currency from LeadSquared --------------------------------------------------------


def test_retrieve_setting_reads_the_documented_answer():
    with LeadSquaredStandIn() as lsq:
        client = LeadSquaredClient(lsq.url, lsq.access_key, lsq.secret_key)
        setting = client.retrieve_setting()
        assert currency_from_setting(setting) == AccountCurrency("$", "USD")
        [call] = lsq.calls_to("RetrieveSetting")
        assert call.method == "GET" and call.keys_in_headers and not call.keys_in_query
        lsq.set_currency("₹", "INR", "Indian Rupee")
        assert currency_from_setting(client.retrieve_setting()) == RUPEE
        lsq.fail_next("html_404", path_contains="RetrieveSetting")
        with pytest.raises(LeadSquaredError) as error:
            client.retrieve_setting()
        assert error.value.kind is ErrorKind.NOT_FOUND


@pytest.mark.parametrize(
    ("setting", "currency"),
    [
        ({"DefaultCurrencySymbol": "₹", "DefaultCurrencyAbbreviation": "INR"}, RUPEE),
        ({"DefaultCurrencySymbol": "", "DefaultCurrencyAbbreviation": "INR"}, AccountCurrency("INR", "INR")),
        ({"DefaultCurrencySymbol": " Rs.\n", "DefaultCurrencyAbbreviation": None}, AccountCurrency("Rs.", "")),
        ({"DefaultCurrencySymbol": None}, None),
        ({}, None),
        ([], None),
        ({"DefaultCurrencySymbol": "x" * 50, "DefaultCurrencyAbbreviation": "y" * 50}, None),
    ],
)
def test_currency_from_setting(setting, currency):
    assert currency_from_setting(setting) == currency


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class InlineExecutor:
    """Runs each job when the test says so: shows what `current()` does before an answer."""

    def __init__(self):
        self.jobs = []

    def submit(self, fn, *args):
        self.jobs.append((fn, args))

    def run(self):
        jobs, self.jobs = self.jobs, []
        for fn, args in jobs:
            fn(*args)


def test_the_currency_is_never_waited_for_and_is_cached_for_hours():
    answers = [{"DefaultCurrencySymbol": "₹", "DefaultCurrencyAbbreviation": "INR"}]
    calls = []

    def fetch():
        calls.append(1)
        return answers[-1]

    clock, pool = FakeClock(), InlineExecutor()
    cache = CurrencyCache(fetch, pool, ttl=6 * 3600, retry_after=300, timer=clock)
    assert cache.current() is None  # not known yet: answers at once, asks in the background
    assert cache.current() is None and len(pool.jobs) == 1  # one fetch in flight, not two
    pool.run()
    assert cache.current() == RUPEE and calls == [1]
    clock.now += 5 * 3600
    assert cache.current() == RUPEE and pool.jobs == []  # fresh: no call
    clock.now += 2 * 3600
    answers.append({"DefaultCurrencySymbol": "$", "DefaultCurrencyAbbreviation": "USD"})
    assert cache.current() == RUPEE  # stale: still shown while refreshing
    pool.run()
    assert cache.current() == AccountCurrency("$", "USD")


def test_a_failed_fetch_keeps_what_we_had_and_waits_before_asking_again():
    outcomes: list = [{"DefaultCurrencySymbol": "₹", "DefaultCurrencyAbbreviation": "INR"}]

    def fetch():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    clock, pool = FakeClock(), InlineExecutor()
    cache = CurrencyCache(fetch, pool, ttl=100, retry_after=30, timer=clock)
    cache.current()
    pool.run()
    clock.now += 101
    outcomes.append(LeadSquaredError(ErrorKind.RATE_LIMITED))
    cache.current()
    pool.run()
    assert cache.current() == RUPEE and pool.jobs == []  # kept; not asked again at once
    clock.now += 31
    outcomes.append(ConnectionError("down"))
    cache.current()
    pool.run()
    assert cache.current() == RUPEE


def test_a_slow_leadsquared_does_not_slow_current():
    release = threading.Event()

    def fetch():
        release.wait(5)
        return {"DefaultCurrencySymbol": "₹"}

    with ThreadPoolExecutor(1) as pool:
        cache = CurrencyCache(fetch, pool)
        assert cache.current() is None  # returns while the fetch hangs
        release.set()
