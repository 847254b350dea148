"""bot.leadsquared.search against the stand-in LeadSquared (real HTTP on 127.0.0.1, nothing mocked
but the clock where expiry is tested)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.search import (
    MAX_OPTIONS,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    Choice,
    LeadSearch,
    OwnerCheck,
    OwnerVerdict,
    ProductSearch,
    clip,
    owner_error,
)
from tests.standins.leadsquared import LeadSquaredStandIn

AK = "search-access-key"
SK = "search-secret-key"
QUICK = "GetByQuickSearch"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeLimiter:
    def __init__(self, allow: bool = True) -> None:
        self.allow = allow
        self.saturated = 0

    def acquire(self, max_wait):
        return self.allow

    def saturate(self) -> None:
        self.saturated += 1


@pytest.fixture
def lsq():
    with LeadSquaredStandIn(AK, SK) as standin:
        yield standin


@pytest.fixture
def client(lsq):
    return LeadSquaredClient(lsq.url, AK, SK, timeout=(1.0, 4.0))


@pytest.fixture
def pool():
    executor = ThreadPoolExecutor(4, "test-lookup")
    yield executor
    executor.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def priya(lsq):
    return lsq.add_lead(first_name="Priya", last_name="Shah", email="priya@acme.in", phone="9876543210")


@pytest.fixture
def leads(lsq, pool, client):
    return LeadSearch(client, pool)


def values(choices):
    return [c.value for c in choices]


# --------------------------------------------------------------------------- labels


def test_clip_keeps_short_text_and_cuts_long_text_with_an_ellipsis():
    assert clip("Asha Rao") == "Asha Rao"
    long = clip("x" * 200)
    assert len(long) == OPTION_TEXT_MAX and long.endswith("…")
    assert clip("a\nb\t\x00c") == "a b c"


def test_clip_never_ends_on_a_combining_mark_or_joiner():
    text = "a" * 73 + "e\u0301" + "zzzz"  # the cut would fall between e and its accent
    out = clip(text)
    assert len(out) <= OPTION_TEXT_MAX and out.endswith("…")
    assert not out[:-1].endswith("\u0301")
    joined = clip("b" * 73 + "\u200d" + "c" * 10)
    assert "\u200d…" not in joined


# --------------------------------------------------------------------------- leads


def test_a_name_finds_the_lead_labelled_name_email_phone_valued_by_prospect_id(leads, priya):
    choices = leads.search("priya")
    assert values(choices) == [priya]  # a bare name is not usable as is: no "Use" option
    assert choices[0].label == "Priya Shah · priya@acme.in · 9876543210"


def test_an_email_is_offered_as_typed_first_then_the_leads_found(leads, lsq, priya):
    lsq.add_lead(first_name="Priya", last_name="Nair", email="priya.nair@acme.in", mobile="9123456789")
    choices = leads.search("priya@acme.in")
    assert choices[0].value == "priya@acme.in" and choices[0].label == "Use “priya@acme.in”"
    assert values(choices)[1:] == [priya]
    assert lsq.calls_to("Leads.GetByEmailaddress") and lsq.calls_to(QUICK)


def test_a_phone_finds_the_lead_and_mobile_numbers_are_shown(leads, lsq, priya):
    choices = leads.search("+91 98765 43210")
    assert choices[0].value == "+91 98765 43210"
    assert values(choices)[1:] == [priya]
    nair = lsq.add_lead(first_name="Priya", last_name="Nair", email="nair@acme.in", mobile="9123456789")
    [typed, found] = leads.search("9123456789")
    assert typed.value == "9123456789"
    assert found == Choice("Priya Nair · nair@acme.in · 9123456789", nair)


def test_a_phone_stored_as_plus_cc_dash_is_found_by_its_second_form(leads, lsq):
    pid = lsq.add_lead(first_name="Ravi", phone="+91-9000000001")
    assert pid in values(leads.search("9000000001"))


def test_a_known_prospect_id_shows_the_lead_once_an_unknown_one_is_offered_as_typed(leads, priya):
    choices = leads.search(priya)
    assert values(choices) == [priya] and choices[0].label.startswith("Priya Shah")
    unknown = "0b7e4b9e-0000-4000-8000-000000000001"
    assert values(leads.search(unknown)) == [unknown]


def test_nothing_found_and_nothing_usable_is_an_empty_list(leads, priya):
    assert leads.search("zzz") == []
    assert leads.search("") == []
    assert leads.search("p") == []  # below the minimum query length: no call


def test_options_stay_within_slacks_limits(leads, lsq):
    for i in range(130):
        lsq.add_lead(first_name="Bulk" + "x" * 60, last_name=str(i), email=f"bulk{i}@" + "d" * 40 + ".in")
    choices = leads.search("bulk")
    assert len(choices) == MAX_OPTIONS
    assert all(len(c.label) <= OPTION_TEXT_MAX and len(c.value) <= OPTION_VALUE_MAX for c in choices)
    long_email = "a" * 150 + "@acme.in"  # an email too long for an option value
    assert leads.search(long_email) == []


# --------------------------------------------------------------------------- caching


def test_a_second_identical_search_makes_no_call(leads, lsq, priya):
    first = leads.search("priya@acme.in")
    lsq.reset_calls()
    assert leads.search("  PRIYA@acme.IN ") == [Choice("Use “PRIYA@acme.IN”", "PRIYA@acme.IN"), first[1]]
    assert lsq.calls == []


def test_empty_answers_are_cached_briefly_found_ones_for_minutes(lsq, pool, client, priya):
    clock = FakeClock()
    leads = LeadSearch(client, pool, ttl=300, negative_ttl=30, timer=clock)
    assert leads.search("nobody") == []
    leads.search("priya")
    lsq.reset_calls()
    clock.now += 31
    leads.search("nobody")
    leads.search("priya")
    assert [c.query["key"] for c in lsq.calls] == ["nobody"]  # the empty answer expired, not the found one
    clock.now += 300
    lsq.reset_calls()
    leads.search("priya")
    assert len(lsq.calls) == 1


def test_failures_are_not_cached(leads, lsq, priya):
    lsq.fail_next("mx_500", path_contains=QUICK)
    assert leads.search("priya") == []
    assert values(leads.search("priya")) == [priya]


def test_identical_searches_in_flight_share_one_call(leads, lsq, priya):
    lsq.delay = 0.5
    results = []
    threads = [threading.Thread(target=lambda: results.append(leads.search("priya"))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [values(r) for r in results] == [[priya]] * 3
    assert len(lsq.calls_to(QUICK)) == 1


# --------------------------------------------------------------------------- deadline


def test_a_slow_leadsquared_gets_an_answer_by_the_deadline_and_a_late_answer_is_cached(leads, lsq, priya):
    lsq.delay = 3
    started = time.monotonic()
    choices = leads.search("priya@acme.in")
    elapsed = time.monotonic() - started
    assert elapsed < 2.5
    assert values(choices) == ["priya@acme.in"]  # the typed text, usable as is
    # LeadSquared answers at ~3 s; the answer lands in the cache for the next keystroke.
    time.sleep(3.5 - elapsed)
    lsq.delay = 0
    lsq.reset_calls()
    assert values(leads.search("priya@acme.in")) == ["priya@acme.in", priya]
    assert lsq.calls == []


def test_a_call_that_would_start_after_the_deadline_is_never_sent(lsq, client, priya):
    pool = ThreadPoolExecutor(1, "test-busy")
    try:
        pool.submit(time.sleep, 1.0)  # the only thread is busy past the search's deadline
        leads = LeadSearch(client, pool, deadline=0.3)
        started = time.monotonic()
        assert leads.search("priya") == []
        assert time.monotonic() - started < 0.6
        pool.submit(lambda: None).result(timeout=3)  # the queue has drained
        assert lsq.calls_to(QUICK) == []
    finally:
        pool.shutdown(wait=False)


def test_a_refusing_rate_limiter_means_no_call_and_no_wait(lsq, pool, priya):
    limiter = FakeLimiter(allow=False)
    client = LeadSquaredClient(lsq.url, AK, SK, rate_limiter=limiter, max_wait=0.0)
    started = time.monotonic()
    assert values(LeadSearch(client, pool).search("priya@acme.in")) == ["priya@acme.in"]
    assert time.monotonic() - started < 0.5
    assert lsq.calls == []


def test_leadsquared_saying_rate_limited_pauses_every_caller(lsq, pool, priya):
    limiter = FakeLimiter()
    client = LeadSquaredClient(lsq.url, AK, SK, rate_limiter=limiter, max_wait=0.0)
    lsq.fail_next("rate_429", path_contains=QUICK)
    assert LeadSearch(client, pool).search("priya") == []
    assert limiter.saturated == 1


# --------------------------------------------------------------------------- products


@pytest.fixture
def products(lsq, pool, client):
    lsq.add_product("SKU-PRO", "Pro plan")
    lsq.add_product("SKU-GOLD", "Gold plan")
    found: list[dict] = []
    search = ProductSearch(client, pool, on_found=found.extend)
    search.found = found
    return search


def test_products_show_sku_and_name_valued_by_sku_after_the_typed_text(products):
    choices = products.search("plan")
    assert choices[0].value == "plan" and choices[0].label == "Use “plan”"
    assert {(c.label, c.value) for c in choices[1:]} == {
        ("SKU-PRO · Pro plan", "SKU-PRO"),
        ("SKU-GOLD · Gold plan", "SKU-GOLD"),
    }
    assert {p["ProductSku"] for p in products.found} == {"SKU-PRO", "SKU-GOLD"}


def test_an_exact_sku_is_offered_once_as_leadsquared_spells_it(products):
    assert values(products.search("sku-pro")) == ["SKU-PRO"]


def test_an_unknown_sku_is_still_offered_as_typed(products):
    assert values(products.search("NEW-SKU-9")) == ["NEW-SKU-9"]


def test_product_searches_are_cached(products, lsq):
    products.search("gold")
    lsq.reset_calls()
    assert values(products.search("GOLD")) == ["GOLD", "SKU-GOLD"]
    assert lsq.calls == []


def test_a_slow_product_search_answers_with_the_typed_sku(products, lsq):
    lsq.delay = 3
    started = time.monotonic()
    assert values(products.search("SKU-X")) == ["SKU-X"]
    assert time.monotonic() - started < 2.5


# --------------------------------------------------------------------------- sales owner


@pytest.fixture
def owners(lsq, pool, client):
    lsq.add_user("priya@acme.in", first_name="Priya")
    lsq.add_user("gone@acme.in", active=False)
    return OwnerCheck(client, pool)


def test_an_active_user_passes(owners):
    assert owners.check("Priya@Acme.in") is OwnerVerdict.ACTIVE


def test_unknown_and_inactive_users_are_unknown(owners):
    assert owners.check("ghost@acme.in") is OwnerVerdict.UNKNOWN
    assert owners.check("gone@acme.in") is OwnerVerdict.UNKNOWN
    assert owner_error("gone@acme.in") == (
        "No active LeadSquared user has the email gone@acme.in. Use the email you sign in to LeadSquared with."
    )


def test_a_slow_or_failing_leadsquared_leaves_the_owner_unchecked(owners, lsq):
    lsq.delay = 3
    started = time.monotonic()
    assert owners.check("priya@acme.in", timeout=1.0) is OwnerVerdict.UNCHECKED
    assert time.monotonic() - started < 1.5
    lsq.delay = 0
    lsq.fail_next("auth_401")
    assert owners.check("other@acme.in") is OwnerVerdict.UNCHECKED


def test_owner_answers_are_cached_an_hour_unknown_five_minutes(lsq, pool, client):
    lsq.add_user("priya@acme.in")
    clock = FakeClock()
    owners = OwnerCheck(client, pool, timer=clock, clock=clock)
    assert owners.check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert owners.check("ghost@acme.in") is OwnerVerdict.UNKNOWN
    lsq.reset_calls()
    assert owners.start("PRIYA@acme.in").verdict(0) is OwnerVerdict.ACTIVE  # answered from the cache
    assert owners.start("ghost@acme.in").verdict(0) is OwnerVerdict.UNKNOWN
    assert lsq.calls == []
    lsq.add_user("ghost@acme.in")  # added in LeadSquared meanwhile
    clock.now += 301
    assert owners.check("ghost@acme.in") is OwnerVerdict.ACTIVE
    assert owners.check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert [c.query["emailAddress"] for c in lsq.calls] == ["ghost@acme.in"]
