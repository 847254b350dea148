"""The stand-in LeadSquared answers in the shapes LeadSquared documents: for every documented
answer (tests/contract/leadsquared/), the stand-in's answer to the same call has the same keys,
with values of the same JSON types, recursively. So the stand-in can't drift into our own idea
of LeadSquared.

Rules: a key the doc shows must be there; a key the doc doesn't show must not be, except past
the point where an abridged sample was cut (the last object at each level of an ``_abridged``
fixture, whose remaining keys weren't captured). A documented ``null`` says nothing about the
type; a documented value may be ``null`` in the stand-in (a field it doesn't know). List items
are compared with the documented item; activity fields are paired by ``SchemaName``, and the
account's own custom fields (mx_Custom_5 and up) may be absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.contract.conftest import LEADSQUARED_DIR
from tests.standins.leadsquared import DOCUMENTED_LEAD_KEYS, LeadSquaredStandIn

KEYS = {"x-LSQ-AccessKey": "ak-test", "x-LSQ-SecretKey": "sk-test"}


def _fixture(name: str) -> tuple[dict, bool]:
    data = json.loads((LEADSQUARED_DIR / f"{name}.json").read_text())
    return data, bool(data.get("_abridged"))


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "null")


def _account_custom_field(schema_name: str) -> bool:
    """mx_Custom_5 … mx_Custom_15: fields each account configures itself (the samples' "Quantity",
    "Product Version"); only mx_Custom_1-4 (Product, Order Value, Sales Date, Sales Owner) are built in."""
    number = schema_name.removeprefix("mx_Custom_")
    return number.isdigit() and int(number) >= 5


def shape_problems(doc, ours, path: str = "$", open_tail: bool = False) -> list[str]:
    if doc is None or ours is None:
        return []
    if _json_type(doc) != _json_type(ours):
        return [f"{path}: documented {_json_type(doc)}, stand-in {_json_type(ours)} ({ours!r})"]
    problems: list[str] = []
    if isinstance(doc, dict):
        missing = [k for k in doc if k not in ours]
        extra = [k for k in ours if k not in doc]
        problems += [f"{path}.{k}: documented, missing in the stand-in" for k in missing]
        if not open_tail:
            problems += [f"{path}.{k}: not in LeadSquared's documented answer" for k in extra]
        keys = list(doc)
        for i, key in enumerate(keys):
            if key in ours:
                problems += shape_problems(doc[key], ours[key], f"{path}.{key}", open_tail and i == len(keys) - 1)
    elif isinstance(doc, list) and doc and ours:
        if all(isinstance(d, dict) and "SchemaName" in d for d in doc):
            ours_by_name = {o.get("SchemaName"): o for o in ours if isinstance(o, dict)}
            for i, item in enumerate(doc):
                name = item["SchemaName"]
                last = open_tail and i == len(doc) - 1
                if name not in ours_by_name:
                    if _account_custom_field(name):
                        continue
                    problems.append(f"{path}[{name}]: documented field missing in the stand-in")
                else:
                    problems += shape_problems(item, ours_by_name[name], f"{path}[{name}]", last)
            if not open_tail:
                documented = {d["SchemaName"] for d in doc}
                problems += [f"{path}[{n}]: field not documented" for n in ours_by_name if n not in documented]
        else:
            for i, item in enumerate(ours):
                problems += shape_problems(doc[-1], item, f"{path}[{i}]", open_tail)
    return problems


@pytest.fixture
def lsq():
    with LeadSquaredStandIn() as standin:
        yield standin


def _call(lsq: LeadSquaredStandIn, method: str, service: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{lsq.url}/v2/{service}", headers=KEYS, timeout=5, **kwargs)


def _seed_sale(lsq: LeadSquaredStandIn) -> tuple[str, str]:
    lead = lsq.add_lead(first_name="George", last_name="Jackson", email="george@example.com", phone="9901111111")
    lsq.add_product("SKU-1", "Gold plan")
    lsq.add_user("owner@example.com", first_name="Vir", last_name="Singh")
    body = {
        "ProspectId": lead,
        "ProductSku": "SKU-1",
        "Status": "Won",
        "Revenue": 1200.5,
        "SalesOwnerEmail": "owner@example.com",
        "SalesDate": "2026-11-26 09:30:00",
    }
    created = _call(lsq, "POST", "SalesActivity.svc/Create", json=body)
    assert created.status_code == 200, created.text
    return lead, created.json()["Message"]["Id"]


def _assert_shaped_like(name: str, response: requests.Response) -> None:
    fixture, abridged = _fixture(name)
    assert response.status_code == fixture["status"], response.text
    problems = shape_problems(fixture["body"], response.json(), open_tail=abridged)
    assert not problems, f"stand-in answer differs from {fixture['_source']}:\n" + "\n".join(problems)


def test_create_and_cancel(lsq):
    lead, activity = _seed_sale(lsq)
    owner = "owner@example.com"
    body = {"ProspectId": lead, "ProductSku": "SKU-1", "Status": "Open", "Revenue": 1, "SalesOwnerEmail": owner}
    _assert_shaped_like("create", _call(lsq, "POST", "SalesActivity.svc/Create", json=body))
    cancel = {"activityId": activity, "activityEventNote": "Deal is not done."}
    _assert_shaped_like("cancel", _call(lsq, "POST", "SalesActivity.svc/Cancel", json=cancel))


def test_retrieve_by_lead_id(lsq):
    lead, _ = _seed_sale(lsq)
    _assert_shaped_like(
        "retrieve_by_lead_id",
        _call(lsq, "GET", "SalesActivity.svc/RetrieveByLeadId", params={"leadId": lead, "includeOption": "false"}),
    )


def test_retrieve_activity(lsq):
    _, activity = _seed_sale(lsq)
    _assert_shaped_like(
        "retrieve_activity", _call(lsq, "GET", "SalesActivity.svc/RetrieveActivity", params={"activityId": activity})
    )


def test_retrieve_setting(lsq):
    _assert_shaped_like("retrieve_setting", _call(lsq, "GET", "SalesActivity.svc/RetrieveSetting"))


@pytest.mark.parametrize("name", ["leads_by_email", "leads_by_email_object_types"])
def test_lead_by_email(lsq, name):
    _seed_sale(lsq)
    response = _call(
        lsq, "GET", "LeadManagement.svc/Leads.GetByEmailaddress", params={"emailaddress": "george@example.com"}
    )
    assert len(response.json()) == 1
    _assert_shaped_like(name, response)


def test_lead_records_carry_only_documented_keys(lsq):
    _seed_sale(lsq)
    [record] = _call(
        lsq, "GET", "LeadManagement.svc/Leads.GetByEmailaddress", params={"emailaddress": "george@example.com"}
    ).json()
    documented: set[str] = set()
    for name in ("leads_by_email", "leads_by_email_object_types", "lead_by_phone"):
        documented |= set(_fixture(name)[0]["body"][0])
    assert set(record) <= documented, set(record) - documented
    assert set(DOCUMENTED_LEAD_KEYS) == documented


def test_unknown_email_is_an_empty_list(lsq):
    response = _call(lsq, "GET", "LeadManagement.svc/Leads.GetByEmailaddress", params={"emailaddress": "no@one.in"})
    assert response.status_code == 200 and response.json() == _fixture("leads_by_email_not_found")[0]["body"]


def test_lead_by_phone(lsq):
    _seed_sale(lsq)
    response = _call(lsq, "GET", "LeadManagement.svc/RetrieveLeadByPhoneNumber", params={"phone": "9901111111"})
    assert len(response.json()) == 1
    _assert_shaped_like("lead_by_phone", response)


def test_users_by_email_active_and_inactive(lsq):
    lsq.add_user("vir.singh@example.com", first_name="Vir", last_name="Singh")
    lsq.add_user("left@example.com", active=False)
    path = "UserManagement.svc/User/Retrieve/ByEmailAddress"
    _assert_shaped_like("users_by_email", _call(lsq, "GET", path, params={"emailAddress": "vir.singh@example.com"}))
    inactive = _call(lsq, "GET", path, params={"emailAddress": "left@example.com"})
    assert inactive.json() == _fixture("users_by_email_inactive")[0]["body"]


def test_user_by_access_key(lsq):
    response = _call(lsq, "GET", "Authentication.svc/UserByAccessKey.Get")
    _assert_shaped_like("user_by_access_key", response)
    assert set(response.json()["LSQCommonServiceURLs"]) >= {"api", "app"}  # described on the page


def test_retrieve_products(lsq):
    _seed_sale(lsq)
    body = {
        "Parameter": {"SearchText": "Gold"},
        "Sorting": {"ColumnName": "ModifiedOn", "Direction": "1"},
        "Paging": {"PageIndex": 1, "PageSize": 10},
    }
    _assert_shaped_like("retrieve_products", _call(lsq, "POST", "SalesActivity.svc/RetrieveProducts", json=body))


def test_error_envelope(lsq):
    # A Create for a lead that doesn't exist: LeadSquared's MX… envelope on a 500.
    body = {"ProspectId": "00000000-0000-0000-0000-000000000000", "ProductSku": "X", "Status": "Won", "Revenue": 1}
    response = _call(lsq, "POST", "SalesActivity.svc/Create", json=body)
    fixture, _ = _fixture("error_mandatory_attribute_500")
    assert response.status_code == fixture["status"]
    assert not shape_problems(fixture["body"], response.json())


def test_rate_limit_says_what_the_docs_say(lsq):
    lsq.fail_next("rate_429")
    response = _call(lsq, "GET", "Authentication.svc/UserByAccessKey.Get")
    fixture, _ = _fixture("rate_limit_429")
    assert response.status_code == fixture["status"]
    assert fixture["body_text"] in response.text


def test_every_documented_answer_is_compared():
    source = Path(__file__).read_text()
    for path in LEADSQUARED_DIR.glob("*.json"):
        assert f'"{path.stem}"' in source, f"{path.name} is not compared with the stand-in"
