"""LeadSquared's documented answers (tests/contract/leadsquared/), served as they are published,
read by our client: each test asserts what a person reading the doc page expects to get out.

A tiny HTTP server on 127.0.0.1 answers every request with the fixture's status and body, so
the whole client path (requests, status handling, JSON decoding, classification) runs.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.leadsquared.client import (
    FIELD_PRODUCT,
    FIELD_PRODUCT_NAME,
    FIELD_REVENUE,
    FIELD_SALES_DATE,
    FIELD_SALES_OWNER,
    FIELD_STATUS,
    LeadSquaredClient,
    _as_datetime,
    _as_decimal,
    _field,
    _fields,
    find_matching_activity,
    key_owner_label,
)
from bot.leadsquared.errors import ErrorKind, LeadSquaredError, explain
from bot.leadsquared.leads import LeadNotResolved, resolve_lead
from bot.leadsquared.search import OwnerCheck, OwnerVerdict, ProductSearch, product_option_label
from tests.contract.conftest import LEADSQUARED_DIR, load
from tests.standins.background_server import BackgroundServer


class CannedLeadSquared:
    """Answers every request with one published answer; remembers what was asked."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b""
        self.content_type = "application/json; charset=utf-8"
        self.requests: list[dict] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - stdlib signature
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                canned.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                        "json": json.loads(raw) if raw else None,
                    }
                )
                self.send_response(canned.status)
                self.send_header("Content-Type", canned.content_type)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            do_GET = do_POST = _answer  # noqa: N815 - stdlib naming

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = BackgroundServer(server, "canned-lsq")
        self.url = f"http://127.0.0.1:{self._server.port}"

    def serve(self, name: str) -> dict:
        fixture = load(LEADSQUARED_DIR / f"{name}.json")
        self.status = fixture["status"]
        if "body_text" in fixture:
            self.body = fixture["body_text"].encode()
            self.content_type = "text/plain; charset=utf-8"
        else:
            self.body = json.dumps(fixture["body"]).encode()
            self.content_type = "application/json; charset=utf-8"
        self.requests.clear()
        return fixture

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture(scope="module")
def canned():
    server = CannedLeadSquared()
    yield server
    server.stop()


@pytest.fixture
def client(canned) -> LeadSquaredClient:
    return LeadSquaredClient(canned.url, "ak-contract", "sk-contract", timeout=(2.0, 5.0))


@pytest.fixture(scope="module")
def pool():
    executor = ThreadPoolExecutor(max_workers=2)
    yield executor
    executor.shutdown(wait=False)


def test_every_leadsquared_fixture_is_read_by_a_test():
    source = Path(__file__).read_text()
    for path in LEADSQUARED_DIR.glob("*.json"):
        assert f'serve("{path.stem}")' in source, f"{path.name} is not read by any contract test"


# --------------------------------------------------------------------------- sales activities


def test_create_returns_the_new_activity_id(canned, client):
    canned.serve("create")
    body = {"ProspectId": "p", "ProductSku": "s", "Status": "Won", "Revenue": 1, "SalesOwnerEmail": "a@b.in"}
    assert client.create_sales_activity(body) == "Sales Activity Id"
    assert canned.requests[0]["path"] == "/v2/SalesActivity.svc/Create"


def test_cancel_is_understood_as_done(canned, client):
    canned.serve("cancel")
    assert client.cancel_sales_activity("d10cc6e8-441b-11e6-b61b-22000aa8e760", note="Deal is not done.") is None
    assert canned.requests[0]["json"] == {
        "activityId": "d10cc6e8-441b-11e6-b61b-22000aa8e760",
        "activityEventNote": "Deal is not done.",
    }


def test_retrieve_by_lead_id_gives_the_activity_its_status_and_product(canned, client):
    canned.serve("retrieve_by_lead_id")
    [activity] = client.retrieve_sales_activities_by_lead("lead-1")
    assert activity["ID"] == "2f6a42c0-ab31-46a3-8469-a3db9e260493"
    fields = _fields(activity)
    assert _field(fields, FIELD_STATUS) == "Open"
    assert _field(fields, FIELD_PRODUCT, data_type="Product") == "3c8c8d02-8374-11e7-ab78-02de49b06427"
    assert _field(fields, FIELD_PRODUCT_NAME) == "01 - Sample Product"  # "<SKU> - <Name>"
    # The published record stops before revenue and date: it proves nothing about a sale of
    # ours, so it must never be adopted as one.
    body = {"Status": "Open", "ProductSku": "01", "Revenue": 3, "SalesDate": "2015-10-07 09:00:37"}
    assert find_matching_activity([activity], body) is None


def test_retrieve_activity_fields_read_as_a_person_reads_them(canned, client):
    fixture = canned.serve("retrieve_activity")
    fields = _fields(fixture["body"])
    assert _field(fields, FIELD_PRODUCT, data_type="Product") == "3439951a-0e8c-11e5-981b-22000a9700b4"
    assert _field(fields, FIELD_PRODUCT_NAME) == "123 - 123"
    assert _as_decimal(_field(fields, FIELD_REVENUE)) == Decimal("3")
    assert _as_datetime(_field(fields, FIELD_SALES_DATE)) == datetime(2015, 10, 7, 9, 0, 37)
    assert _field(fields, FIELD_SALES_OWNER) == "6ba64831-b1c1-11e4-981b-22000a9700b4"
    # An activity whose status isn't shown is never taken for one of ours.
    body = {"Status": "Won", "ProductSku": "123", "Revenue": 3, "SalesDate": "2015-10-07 09:00:37"}
    assert find_matching_activity([{**fixture["body"]}], body) is None
    # With the status it matches on SKU (via "123 - 123"), revenue 3 = "3.00" and the date.
    with_status = {**fixture["body"], "Fields": [*fields, {"SchemaName": "Status", "Value": "Won"}]}
    assert find_matching_activity([with_status], body) == "ea582d40-6cd1-11e5-a199-22000aa4133b"


def test_retrieve_setting_gives_the_currency_and_the_mandatory_fields(canned, client):
    canned.serve("retrieve_setting")
    settings = client.retrieve_setting()
    assert settings["DefaultCurrencyAbbreviation"] == "USD" and settings["DefaultCurrencySymbol"] == "$"
    mandatory = {f["SchemaName"] for f in settings["Fields"] if f["IsMandatory"]}
    assert mandatory == {"mx_Custom_1", "mx_Custom_2", "mx_Custom_3", "mx_Custom_4"}
    assert canned.requests[0]["path"] == "/v2/SalesActivity.svc/RetrieveSetting"


# --------------------------------------------------------------------------- leads


def test_a_lead_found_by_email_is_named_and_gives_its_prospect_id(canned, client):
    canned.serve("leads_by_email")
    lead = resolve_lead("george@example.com", client)
    assert lead.prospect_id == "6f75b09d-0187-45d6-86dd-f848bd5a0aca"
    assert lead.label == "George Jackson"
    assert canned.requests[0]["query"] == {"emailaddress": "george@example.com"}


def test_the_current_email_sample_with_object_types_reads_the_same(canned, client):
    canned.serve("leads_by_email_object_types")
    lead = resolve_lead("nivas@leadsquard.com", client)
    assert (lead.prospect_id, lead.label) == ("bd595fc2-3678-4004-9ac6-65bfd1caadb5", "Nivas Ravi")


def test_an_unknown_email_is_explained(canned, client):
    canned.serve("leads_by_email_not_found")
    with pytest.raises(LeadNotResolved) as raised:
        resolve_lead("ghost@example.com", client)
    assert "ghost@example.com" in raised.value.message


def test_a_lead_found_by_phone(canned, client):
    canned.serve("lead_by_phone")
    lead = resolve_lead("9901111111", client)
    assert (lead.prospect_id, lead.label) == ("1bfdec89-f91b-46a3-85bd-fda3f3712518", "Prashant Singh")
    assert canned.requests[0]["query"] == {"phone": "9901111111"}


# --------------------------------------------------------------------------- users, keys, products


def test_an_active_user_is_a_known_sales_owner(canned, client, pool):
    canned.serve("users_by_email")
    [user] = client.users_by_email("vir.singh@leadsquared.com")
    assert user["UserId"] == "718ae557-9d0b-11e7-b0ab-02e89b2fb8f4"
    assert OwnerCheck(client, pool).check("vir.singh@leadsquared.com") is OwnerVerdict.ACTIVE


def test_an_inactive_or_unknown_user_is_not_a_sales_owner(canned, client, pool):
    canned.serve("users_by_email_inactive")
    assert OwnerCheck(client, pool).check("left@leadsquared.com") is OwnerVerdict.UNKNOWN


def test_the_keys_owner_is_named_even_though_email_address_is_null(canned, client):
    canned.serve("user_by_access_key")
    user = client.user_by_access_key()
    assert key_owner_label(user) == "sri.sudhan@leadsquared.com"
    assert user["DefaultCountryCode"] == "91"


def test_products_are_offered_by_sku(canned, client, pool):
    canned.serve("retrieve_products")
    [product] = client.retrieve_products("Product")
    assert product["ProductSku"] == "Product#01"
    assert product_option_label(product) == "Product#01 · API Product"
    assert canned.requests[0]["json"]["Parameter"] == {"SearchText": "Product"}
    choices = ProductSearch(client, pool).search("Product")
    assert "Product#01" in [c.value for c in choices]


# --------------------------------------------------------------------------- errors


def test_the_documented_error_envelope_is_leadsquareds_own_reason(canned, client):
    canned.serve("error_mandatory_attribute_500")
    with pytest.raises(LeadSquaredError) as raised:
        client.create_sales_activity({"ProspectId": "p"})
    error = raised.value
    assert error.kind is ErrorKind.APPLICATION and not error.retryable
    assert error.exception_type == "MXMandatoryAttributeMissingException"
    assert "'leadId' is mandatory for updating lead" in explain(error)


def test_the_documented_rate_limit_answer_is_rate_limiting(canned, client):
    canned.serve("rate_limit_429")
    with pytest.raises(LeadSquaredError) as raised:
        client.leads_by_email("george@example.com")
    assert raised.value.kind is ErrorKind.RATE_LIMITED and raised.value.retryable
