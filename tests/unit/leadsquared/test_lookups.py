"""The lookups for Slack requests (bot.leadsquared.lookups) and the SKUs one-line entry knows
(bot.leadsquared.known_skus), against the stand-in LeadSquared over real HTTP."""

from __future__ import annotations

import pytest

from bot.domain.model import RawSale
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.known_skus import KnownSkus
from bot.leadsquared.lookups import Lookups
from bot.leadsquared.search import OwnerVerdict
from tests.standins.leadsquared import LeadSquaredStandIn

AK = "lookups-access-key"
SK = "lookups-secret-key"
LEAD_BY_EMAIL = "Leads.GetByEmailaddress"
LEAD_BY_PHONE = "RetrieveLeadByPhoneNumber"
OWNER = "User/Retrieve/ByEmailAddress"


@pytest.fixture
def lsq():
    with LeadSquaredStandIn(AK, SK) as standin:
        standin.add_user("owner@acme.in")
        standin.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in", phone="9876543210")
        yield standin


@pytest.fixture
def lookups(lsq):
    lookups = Lookups(LeadSquaredClient(lsq.url, AK, SK, timeout=(1.0, 4.0)))
    yield lookups
    lookups.pool.shutdown(wait=True)


def prewarmed(lookups: Lookups, prefill: RawSale) -> None:
    lookups.prewarm(prefill)
    lookups.pool.shutdown(wait=True)  # every lookup prewarm started has finished


def test_prewarm_looks_up_the_owner_and_an_email_lead_so_the_submission_finds_them_cached(lookups, lsq):
    prewarmed(lookups, RawSale(lead="asha@buyer.in", sales_owner="owner@acme.in"))
    assert len(lsq.calls_to(LEAD_BY_EMAIL)) == 1
    assert len(lsq.calls_to(OWNER)) == 1
    lsq.reset_calls()
    assert lookups.owner_check.start("owner@acme.in").verdict(0) is OwnerVerdict.ACTIVE
    assert lookups.lead_resolver.resolve("asha@buyer.in").label == "Asha Rao"
    assert lsq.calls == []


def test_prewarm_looks_up_a_phone_lead(lookups, lsq):
    prewarmed(lookups, RawSale(lead="9876543210"))
    assert lsq.calls_to(LEAD_BY_PHONE)
    assert lsq.calls_to(OWNER) == []


@pytest.mark.parametrize("lead", ["", "   ", "not a lead", "e6f1c4a2-8d2b-4b7e-9c1d-3a5f0b2c7d11"])
def test_prewarm_asks_nothing_for_a_lead_that_needs_no_lookup_or_cannot_have_one(lookups, lsq, lead):
    prewarmed(lookups, RawSale(lead=lead))
    assert lsq.calls == []


def test_a_lead_not_found_at_prewarm_is_not_an_error_there(lookups, lsq):
    prewarmed(lookups, RawSale(lead="nobody@buyer.in"))
    assert len(lsq.calls_to(LEAD_BY_EMAIL)) == 1


def test_product_searches_feed_the_skus_one_line_entry_knows(lsq):
    lsq.add_product("SKU-GOLD", "Gold plan")
    known = KnownSkus(lambda: set())
    lookups = Lookups(LeadSquaredClient(lsq.url, AK, SK, timeout=(1.0, 4.0)), on_products_found=known.remember_products)
    try:
        lookups.product_search.search("gold")
    finally:
        lookups.pool.shutdown(wait=True)
    assert known.all() == {"SKU-GOLD"}


# --------------------------------------------------------------------------- known SKUs


def test_known_skus_are_the_searched_ones_and_the_recent_sales_ones():
    known = KnownSkus(lambda: {"SKU-RECENT"})
    known.remember_products([{"ProductSku": " SKU-PRO ", "Name": "Pro plan"}, {"ProductSku": "", "Name": "No SKU"}])
    known.remember_products([{"Name": "missing SKU"}, {"ProductSku": None}])
    assert known.all() == {"SKU-PRO", "SKU-RECENT"}


def test_when_recent_sales_cannot_be_read_the_searched_skus_still_count():
    def database_busy() -> set[str]:
        raise TimeoutError("database busy")

    known = KnownSkus(database_busy)
    known.remember_products([{"ProductSku": "SKU-PRO", "Name": "Pro plan"}])
    assert known.all() == {"SKU-PRO"}


def test_searched_skus_are_forgotten_after_their_time():
    clock = [0.0]
    known = KnownSkus(lambda: set(), ttl=60, timer=lambda: clock[0])
    known.remember_products([{"ProductSku": "SKU-PRO", "Name": "Pro plan"}])
    clock[0] = 61.0
    assert known.all() == set()
