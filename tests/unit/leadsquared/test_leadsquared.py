"""LeadSquaredClient against the stand-in LeadSquared (real HTTP on 127.0.0.1; requests is not mocked)."""

from __future__ import annotations

import logging
import socket
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bot.leadsquared.client import LeadSquaredClient, base_url_from_host, find_matching_activity
from bot.leadsquared.errors import ErrorKind, LeadSquaredError
from tests.standins.leadsquared import FAILURE_MODES, LeadSquaredStandIn

K = ErrorKind
AK = "u$rAK-SUPER-SECRET-1234"
SK = "SK-SUPER-SECRET-5678"
SECRETS = (AK, SK, "SUPER-SECRET")


@pytest.fixture
def lsq():
    with LeadSquaredStandIn(AK, SK) as standin:
        yield standin


@pytest.fixture
def client(lsq):
    return LeadSquaredClient(lsq.url, AK, SK, timeout=(2.0, 2.0))


@pytest.fixture
def lead(lsq):
    return lsq.add_lead(first_name="Priya", last_name="Shah", email="priya@acme.in", phone="9876543210")


def sale_body(prospect_id: str, **over) -> dict:
    body = {
        "ProspectId": prospect_id,
        "ProductSku": "SKU-1",
        "Status": "Won",
        "Revenue": 1234.5,
        "SalesOwnerEmail": "owner@acme.in",
        "SalesDate": "2024-05-01 10:00:00",
    }
    body.update(over)
    return body


def assert_clean(err: BaseException) -> None:
    """No key, anywhere in the error, its chain, or its formatted traceback."""
    assert err.__cause__ is None
    assert err.__context__ is None
    texts = [str(err), repr(err), "".join(traceback.format_exception(err))]
    # Error reporters (e.g. Sentry) capture the locals of every frame in the traceback.
    tb = err.__traceback__
    while tb is not None:
        if "bot/domain" in tb.tb_frame.f_code.co_filename:
            texts.extend(repr(value) for value in tb.tb_frame.f_locals.values())
        tb = tb.tb_next
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# --------------------------------------------------------------------------- base URL


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("api-in21.leadsquared.com", "https://api-in21.leadsquared.com"),
        ("  api.leadsquared.com ", "https://api.leadsquared.com"),
        ("api-us11.leadsquared.com/", "https://api-us11.leadsquared.com"),
        ("https://api-in22.leadsquared.com", "https://api-in22.leadsquared.com"),
        ("https://api-in22.leadsquared.com/", "https://api-in22.leadsquared.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("localhost:9000", "https://localhost:9000"),
        ("http://localhost:9000", "http://localhost:9000"),
    ],
)
def test_base_url_from_host(host, url):
    assert base_url_from_host(host) == url


@pytest.mark.parametrize(
    "host",
    [
        "",
        "   ",
        "api in21.leadsquared.com",
        "https://api-in21.leadsquared.com/v2",
        "https://api-in21.leadsquared.com/v2/",
        "api-in21.leadsquared.com?accessKey=x",
        "https://api-in21.leadsquared.com#frag",
        "ftp://api-in21.leadsquared.com",
        "https://user:pw@api-in21.leadsquared.com",
        "https://",
        "-bad-.com",
        "http://127.0.0.1:99999",
        "api_in21!.leadsquared.com",
        "http://api-in21.leadsquared.com",  # keys would cross the wire in clear text
        "http://10.0.0.5:8080",
    ],
)
def test_base_url_from_host_rejects_garbage(host):
    with pytest.raises(ValueError):
        base_url_from_host(host)


def test_client_rejects_unusable_keys_without_echoing_them():
    for bad in ("", "ZQX spaced", "ZQX\ttabbed", "ZQXключ"):
        with pytest.raises(ValueError) as info:
            LeadSquaredClient("api-in21.leadsquared.com", bad or "", SK)
        if bad:
            assert bad not in str(info.value)
    with pytest.raises(ValueError) as info:
        LeadSquaredClient("api-in21.leadsquared.com", AK, "secret with space")
    assert "secret with space" not in str(info.value)


def test_client_repr_has_no_keys(client):
    assert AK not in repr(client) and SK not in repr(client)
    assert "127.0.0.1" in repr(client)


# --------------------------------------------------------------------------- sales activities


def test_create_sales_activity(lsq, client, lead):
    body = sale_body(lead)
    activity_id = client.create_sales_activity(body)
    assert lsq.activities[activity_id] == {**body, "Cancelled": False}
    (call,) = lsq.calls_to("SalesActivity.svc/Create")
    assert call.method == "POST"
    assert call.path == "/v2/SalesActivity.svc/Create"
    assert call.json == body
    assert call.keys_in_headers and not call.keys_in_query
    assert call.query == {}
    assert call.headers["x-LSQ-AccessKey"] == "<present>"
    assert call.headers["Content-Type"] == "application/json"
    assert call.status == 200


@pytest.mark.parametrize(
    ("over", "etype", "message"),
    [
        ({"Status": "Pending"}, "MXInvalidInputException", "Invalid Input! Parameter Name: Status"),
        ({"Status": None}, "MXInvalidInputException", "Invalid Input! Parameter Name: Status"),
        ({"ProspectId": "00000000-0000-0000-0000-000000000000"}, "MXInvalidEntityException", None),
        ({"SalesDate": "01/05/2024 10:00"}, "MXInvalidInputException", "Invalid Input! Parameter Name: SalesDate"),
        ({"SalesDate": "2024-13-01 10:00:00"}, "MXInvalidInputException", None),
        ({"Revenue": "lots"}, "MXInvalidInputException", "Invalid Input! Parameter Name: Revenue"),
        ({"Revenue": True}, "MXInvalidInputException", None),
        ({"ProductSku": "NOPE"}, "MXInvalidInputException", "Invalid Input! Parameter Name: ProductSku"),
        ({"SalesOwnerEmail": "gone@acme.in"}, "MXInvalidInputException", None),
        ({"SalesOwnerEmail": "stranger@acme.in"}, "MXInvalidInputException", None),
    ],
)
def test_create_validation_is_application_error(lsq, client, lead, over, etype, message):
    lsq.add_product("SKU-1", "Gold plan")
    lsq.add_user("owner@acme.in")
    lsq.add_user("gone@acme.in", active=False)
    with pytest.raises(LeadSquaredError) as info:
        client.create_sales_activity(sale_body(lead, **over))
    err = info.value
    assert err.kind is K.APPLICATION
    assert err.status == 500
    assert err.exception_type == etype
    if message:
        assert err.message == message
    if etype == "MXInvalidEntityException":
        assert err.message == "Lead does not exist in the system"
    assert not err.retryable and not err.ambiguous
    assert lsq.activities == {}


def test_create_accepts_numeric_string_revenue_and_sales_owner_id(lsq, client, lead):
    uid = lsq.add_user("owner@acme.in")
    body = sale_body(lead, Revenue="999.99")
    del body["SalesOwnerEmail"]
    body["SalesOwner"] = uid
    assert client.create_sales_activity(body) in lsq.activities


def test_retrieve_and_cancel(lsq, client, lead):
    lsq.add_product("SKU-1", "Gold plan")
    owner = lsq.add_user("owner@acme.in", first_name="Asha", last_name="Rao")
    first = client.create_sales_activity(sale_body(lead))
    second = client.create_sales_activity(sale_body(lead, Status="Open", Revenue=10))
    other = lsq.add_lead(email="x@y.in")
    client.create_sales_activity(sale_body(other))

    activities = client.retrieve_sales_activities_by_lead(lead)
    assert [a["ID"] for a in activities] == [second, first]  # newest first
    fields = {f["SchemaName"]: f for f in activities[1]["Fields"]}
    assert fields["Status"]["Value"] == "Won"
    assert fields["mx_Custom_1"]["DataType"] == "Product"
    assert fields["mx_Custom_1"]["Value"] != "SKU-1"  # the product's GUID, as LeadSquared does
    assert fields["ProductName"]["Value"] == "SKU-1 - Gold plan"
    assert fields["mx_Custom_2"]["Value"] == "1234.50"
    assert fields["mx_Custom_3"]["Value"] == "2024-05-01 10:00:00"
    assert fields["mx_Custom_4"]["Value"] == owner
    assert fields["SalesOwner"]["Value"] == "Asha Rao"
    (call,) = lsq.calls_to("RetrieveByLeadId")
    assert call.method == "GET"
    assert call.query == {"leadId": lead, "includeOption": "false"}

    assert client.cancel_sales_activity(first, "Logged twice by mistake") is None
    assert lsq.activities[first]["Cancelled"] is True
    assert lsq.activities[first]["CancelNote"] == "Logged twice by mistake"
    assert lsq.calls_to("Cancel")[0].json == {"activityId": first, "activityEventNote": "Logged twice by mistake"}
    again = {a["ID"]: a for a in client.retrieve_sales_activities_by_lead(lead)}
    status = {f["SchemaName"]: f["Value"] for f in again[first]["Fields"]}["Status"]
    assert status == "Cancelled"
    assert set(lsq.live_activities(lead)) == {second}

    assert client.retrieve_sales_activities_by_lead(lsq.add_lead(email="none@y.in")) == []


def test_cancel_unknown_activity(client):
    with pytest.raises(LeadSquaredError) as info:
        client.cancel_sales_activity("00000000-0000-0000-0000-000000000000", "why")
    assert info.value.kind is K.APPLICATION


# --------------------------------------------------------------------------- leads, users, products


def test_leads_by_email(lsq, client, lead):
    plus = lsq.add_lead(first_name="Tag", email="priya+test@acme.in")
    (found,) = client.leads_by_email("PRIYA@acme.in")
    assert found["ProspectID"] == lead
    assert found["FirstName"] == "Priya"
    assert [r["ProspectID"] for r in client.leads_by_email("priya+test@acme.in")] == [plus]
    assert lsq.calls_to("GetByEmailaddress")[-1].query == {"emailaddress": "priya+test@acme.in"}
    assert client.leads_by_email("nobody@acme.in") == []


def test_leads_by_phone(lsq, client, lead):
    dashed = lsq.add_lead(first_name="Dash", mobile="+91-9123456789")
    assert [r["ProspectID"] for r in client.leads_by_phone("9876543210")] == [lead]
    assert [r["ProspectID"] for r in client.leads_by_phone("919876543210")] == [lead]
    assert client.leads_by_phone("9123456789") == []  # stored as +91-…: only that form matches
    assert [r["ProspectID"] for r in client.leads_by_phone("+91-9123456789")] == [dashed]
    assert lsq.calls_to("RetrieveLeadByPhoneNumber")[-1].query == {"phone": "+91-9123456789"}


def test_phone_lookup_returns_latest_only_unless_asked(lsq, client):
    old = lsq.add_lead(first_name="Old", phone="9000000001")
    new = lsq.add_lead(first_name="New", mobile="9000000001")
    assert [r["ProspectID"] for r in client.leads_by_phone("9000000001")] == [new]
    lsq.add_product("SKU-1", "Gold")
    client.create_sales_activity(sale_body(old))  # latest activity now on "old"
    assert [r["ProspectID"] for r in client.leads_by_phone("9000000001")] == [old]
    lsq.phone_lookup_returns_all = True
    assert {r["ProspectID"] for r in client.leads_by_phone("9000000001")} == {old, new}


def test_quick_search_and_by_id(lsq, client, lead):
    assert [r["ProspectID"] for r in client.leads_by_quick_search("priya sh")] == [lead]
    assert [r["ProspectID"] for r in client.leads_by_quick_search("acme")] == [lead]
    assert client.leads_by_quick_search("zzz") == []
    assert lsq.calls_to("GetByQuickSearch")[0].query == {"key": "priya sh"}
    assert client.lead_by_id(lead)["EmailAddress"] == "priya@acme.in"
    assert client.lead_by_id("00000000-0000-0000-0000-000000000000") is None
    assert lsq.calls_to("Leads.GetById")[0].query == {"id": lead}


def test_users(lsq, client):
    uid = lsq.add_user("owner@acme.in", first_name="Asha", last_name="Rao")
    lsq.add_user("gone@acme.in", active=False)
    (user,) = client.users_by_email("Owner@Acme.in")
    assert user["UserId"] == uid and user["FirstName"] == "Asha"
    assert client.users_by_email("gone@acme.in") == []  # inactive looks like unknown (doc)
    assert client.users_by_email("nobody@acme.in") == []
    assert lsq.calls_to("ByEmailAddress")[0].path == "/v2/UserManagement.svc/User/Retrieve/ByEmailAddress"
    assert lsq.calls_to("ByEmailAddress")[0].query == {"emailAddress": "Owner@Acme.in"}


def test_user_by_access_key(lsq, client):
    me = client.user_by_access_key()
    assert me["LSQCommonServiceURLs"] == {"api": "api-in21.leadsquared.com", "app": "app.leadsquared.com"}
    assert me["Id"] == lsq.key_user["Id"]


def test_retrieve_products(lsq, client):
    gold = lsq.add_product("GOLD-1", "Gold plan")
    lsq.add_product("SILV-1", "Silver plan")
    lsq.add_product("GOLD-2", "Gold plus")
    found = client.retrieve_products("gold")
    assert {p["ProductSku"] for p in found} == {"GOLD-1", "GOLD-2"}
    assert {k: found[0][k] for k in ("ProductId", "ProductSku", "Name")} == {
        "ProductId": gold,
        "ProductSku": "GOLD-1",
        "Name": "Gold plan",
    }
    assert len(client.retrieve_products("", page_size=2)) == 2
    assert client.retrieve_products("nothing") == []
    (call, *_) = lsq.calls_to("RetrieveProducts")
    assert call.method == "POST"
    assert call.json == {
        "Parameter": {"SearchText": "gold"},
        "Sorting": {"ColumnName": "ModifiedOn", "Direction": "1"},
        "Paging": {"PageIndex": 1, "PageSize": 10},
    }


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("mode", "kind", "status"),
    [
        ("auth_401", K.AUTH, 401),
        ("mx_500", K.APPLICATION, 500),
        ("bad_request_400", K.BAD_REQUEST, 400),
        ("html_404", K.NOT_FOUND, 404),
        ("status_error_200", K.APPLICATION, 200),
        ("rate_429", K.RATE_LIMITED, 429),
        ("rate_403", K.RATE_LIMITED, 403),
        ("rate_200", K.RATE_LIMITED, 200),
        ("bare_500_html", K.AMBIGUOUS, 500),
        ("drop_before", K.AMBIGUOUS, None),
        ("drop_after_create", K.AMBIGUOUS, None),
    ],
)
def test_failure_modes_on_create(lsq, client, lead, mode, kind, status):
    lsq.fail_next(mode)
    with pytest.raises(LeadSquaredError) as info:
        client.create_sales_activity(sale_body(lead))
    err = info.value
    assert err.kind is kind
    assert err.status == status
    assert_clean(err)
    created = len(lsq.activities)
    assert created == (1 if mode == "drop_after_create" else 0)
    # the failure was used up: the next call goes through
    assert client.create_sales_activity(sale_body(lead)) in lsq.activities


def test_mx_500_and_status_error_messages(lsq, client, lead):
    lsq.fail_next("mx_500")
    with pytest.raises(LeadSquaredError) as info:
        client.leads_by_email("priya@acme.in")
    assert info.value.message == "Lead does not exist in the system"
    lsq.fail_next("status_error_200")
    with pytest.raises(LeadSquaredError) as info:
        client.leads_by_email("priya@acme.in")
    assert info.value.message == "Invalid Input! Parameter Name: ProductSku"
    assert info.value.exception_type == "MXInvalidInputException"


def test_slow_after_create_is_ambiguous_and_created(lsq, client, lead):
    lsq.fail_next("slow_after_create", sleep=1.0)
    quick = client.with_options(timeout=(1.0, 0.3))
    with pytest.raises(LeadSquaredError) as info:
        quick.create_sales_activity(sale_body(lead))
    assert info.value.kind is K.AMBIGUOUS
    assert "ReadTimeout" in str(info.value)
    assert_clean(info.value)
    assert len(lsq.activities) == 1
    # The bot's reconciliation: is it there?
    activities = client.retrieve_sales_activities_by_lead(lead)
    assert find_matching_activity(activities, sale_body(lead)) == next(iter(lsq.activities))


def test_create_only_modes_skip_other_calls(lsq, client, lead):
    lsq.fail_next("drop_after_create")
    assert client.leads_by_email("priya@acme.in")  # not affected
    with pytest.raises(LeadSquaredError):
        client.create_sales_activity(sale_body(lead))


def test_fail_next_count_and_path_filter(lsq, client, lead):
    lsq.fail_next("rate_429", count=2, path_contains="GetByEmailaddress")
    assert client.leads_by_phone("9876543210")  # other path: untouched
    for _ in range(2):
        with pytest.raises(LeadSquaredError) as info:
            client.leads_by_email("priya@acme.in")
        assert info.value.kind is K.RATE_LIMITED and info.value.retryable
    assert client.leads_by_email("priya@acme.in")
    assert [c.failure for c in lsq.calls_to("GetByEmailaddress")] == ["rate_429", "rate_429", None]
    with pytest.raises(ValueError):
        lsq.fail_next("no_such_mode")
    lsq.fail_next("auth_401")
    lsq.clear_failures()
    assert client.leads_by_email("priya@acme.in")
    assert set(FAILURE_MODES) >= {"drop_before", "slow_after_create"}


def test_delay_knob_read_timeout_is_ambiguous(lsq, client):
    lsq.delay = 0.5
    with pytest.raises(LeadSquaredError) as info:
        client.with_options(timeout=(1.0, 0.1)).leads_by_email("priya@acme.in")
    assert info.value.kind is K.AMBIGUOUS
    assert_clean(info.value)
    lsq.delay = 0
    assert client.leads_by_email("priya@acme.in") == []


def test_wrong_keys_is_auth(lsq):
    bad = LeadSquaredClient(lsq.url, "wrong-access", "wrong-secret")
    with pytest.raises(LeadSquaredError) as info:
        bad.user_by_access_key()
    err = info.value
    assert err.kind is K.AUTH and err.status == 401
    assert err.exception_type == "MXUnAuthorizedAccessException"
    assert "wrong-access" not in repr(err) and "wrong-secret" not in str(err)
    assert LeadSquaredClient(lsq.url, AK, "wrong-secret").leads_by_email.__self__  # constructible
    with pytest.raises(LeadSquaredError) as info:
        LeadSquaredClient(lsq.url, AK, "wrong-secret").leads_by_email("a@b.in")
    assert info.value.kind is K.AUTH


def test_standin_accepts_query_string_keys_but_flags_them(lsq):
    url = lsq.url + "/v2/Authentication.svc/UserByAccessKey.Get"
    ok = requests.get(url, params={"accessKey": AK, "secretKey": SK}, timeout=5)
    assert ok.status_code == 200
    (call,) = lsq.calls
    assert call.keys_in_query and not call.keys_in_headers
    assert call.query == {"accessKey": "<redacted>", "secretKey": "<redacted>"}
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.json()["ExceptionType"] == "MXUnAuthorizedAccessException"


def test_standin_unknown_path_and_wrong_method(lsq):
    headers = {"x-LSQ-AccessKey": AK, "x-LSQ-SecretKey": SK}
    r = requests.get(lsq.url + "/v2/Nope.svc/Nothing", headers=headers, timeout=5)
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
    r = requests.get(lsq.url + "/v2/SalesActivity.svc/Create", headers=headers, timeout=5)
    assert r.status_code == 405
    r = requests.post(
        lsq.url + "/v2/SalesActivity.svc/Create",
        headers={**headers, "Content-Type": "application/json"},
        data=b"{not json",
        timeout=5,
    )
    assert r.status_code == 400


def test_standin_rate_limit_sliding_window(lead):
    with LeadSquaredStandIn(AK, SK, rate_limit=(3, 1.0)) as lsq:
        client = LeadSquaredClient(lsq.url, AK, SK)
        for _ in range(3):
            assert client.leads_by_email("x@y.in") == []
        with pytest.raises(LeadSquaredError) as info:
            client.user_by_access_key()
        err = info.value
        assert err.kind is K.RATE_LIMITED and err.status == 429
        assert err.exception_type == "MXAPIRateLimitExceededException"
        assert err.message == "API calls exceeded the limit of 3 in 1 second(s)"
        assert lsq.calls[-1].status == 429
        threading.Event().wait(1.1)
        assert client.user_by_access_key()["Id"]


def test_connection_refused_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = LeadSquaredClient(f"http://127.0.0.1:{port}", AK, SK, timeout=(1.0, 1.0))
    with pytest.raises(LeadSquaredError) as info:
        client.leads_by_email("priya@acme.in")
    assert info.value.kind is K.UNREACHABLE and info.value.retryable
    assert_clean(info.value)
    assert "127.0.0.1" not in str(info.value)


def test_dns_failure_is_unreachable():
    client = LeadSquaredClient("https://no-such-host.invalid", AK, SK, timeout=(2.0, 2.0))
    with pytest.raises(LeadSquaredError) as info:
        client.leads_by_email("priya@acme.in")
    assert info.value.kind is K.UNREACHABLE
    assert_clean(info.value)


# --------------------------------------------------------------------------- odd success bodies


class _Canned:
    """A one-answer HTTP server for bodies the stand-in never sends (truncated JSON, HTML 200)."""

    def __init__(self, status: int, body: str):
        canned = (status, body.encode("utf-8"))

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(canned[0])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(canned[1])))
                self.end_headers()
                self.wfile.write(canned[1])

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("body", "call"),
    [
        ('[{"ProspectID":"abc", "FirstNa', "leads_by_email"),  # truncated list must not read as "no lead"
        ("", "leads_by_email"),
        ("<html>captive portal</html>", "leads_by_phone"),
        ('{"Status":"Success"}', "leads_by_email"),
        ('{"Status":"Success","Message":{}}', "create"),
        ('{"Status":"Success","Message":{"Id":""}}', "create"),
        ("<html>ok</html>", "create"),
        ('{"Status":"Succ', "create"),
        ("[]", "user_by_access_key"),
        ('{"Status":"Nope"}', "cancel"),
    ],
)
def test_unreadable_success_is_ambiguous(body, call):
    server = _Canned(200, body)
    try:
        client = LeadSquaredClient(server.url, AK, SK, timeout=(2.0, 2.0))
        actions = {
            "leads_by_email": lambda: client.leads_by_email("a@b.in"),
            "leads_by_phone": lambda: client.leads_by_phone("9876543210"),
            "create": lambda: client.create_sales_activity({"ProspectId": "x"}),
            "user_by_access_key": client.user_by_access_key,
            "cancel": lambda: client.cancel_sales_activity("x", "y"),
        }
        with pytest.raises(LeadSquaredError) as info:
            actions[call]()
        assert info.value.kind is K.AMBIGUOUS
    finally:
        server.close()


def test_lenient_success_shapes():
    server = _Canned(200, '{"RecordCount":1,"List":[{"ID":"a1","Fields":[]}]}')
    try:
        client = LeadSquaredClient(server.url, AK, SK)
        assert client.retrieve_sales_activities_by_lead("x") == [{"ID": "a1", "Fields": []}]
        assert client.retrieve_products("x") == [{"ID": "a1", "Fields": []}]
    finally:
        server.close()
    server = _Canned(200, '{"ProspectID":"p1"}')
    try:
        assert LeadSquaredClient(server.url, AK, SK).lead_by_id("p1") == {"ProspectID": "p1"}
    finally:
        server.close()


# --------------------------------------------------------------------------- rate limiter


class FakeLimiter:
    def __init__(self, answer: bool):
        self.answer = answer
        self.asked: list[float | None] = []

    def acquire(self, max_wait):
        self.asked.append(max_wait)
        return self.answer


def test_limiter_refusal_raises_without_a_request(lsq):
    limiter = FakeLimiter(False)
    client = LeadSquaredClient(lsq.url, AK, SK, rate_limiter=limiter, max_wait=7.5)
    for action in (
        lambda: client.create_sales_activity({"ProspectId": "x"}),
        lambda: client.leads_by_email("a@b.in"),
        client.user_by_access_key,
    ):
        with pytest.raises(LeadSquaredError) as info:
            action()
        assert info.value.kind is K.RATE_LIMITED
        assert info.value.status is None
        assert info.value.retryable
        assert_clean(info.value)
    assert lsq.calls == []
    assert limiter.asked == [7.5, 7.5, 7.5]


def test_limiter_consent_and_with_options(lsq):
    limiter = FakeLimiter(True)
    session = requests.Session()
    client = LeadSquaredClient(lsq.url, AK, SK, rate_limiter=limiter, max_wait=10.0, session=session)
    quick = client.with_options(timeout=(1.0, 1.5), max_wait=0.5)
    assert quick is not client
    assert quick.session is session and quick.rate_limiter is limiter
    assert quick.timeout == (1.0, 1.5) and quick.max_wait == 0.5
    assert client.timeout == (5.0, 20.0) and client.max_wait == 10.0
    assert client.with_options().timeout == client.timeout
    quick.leads_by_email("a@b.in")
    client.leads_by_email("a@b.in")
    assert limiter.asked == [0.5, 10.0]
    assert len(lsq.calls) == 2
    assert quick.leads_by_email("a@b.in") == []  # the copy authenticates like the original


# --------------------------------------------------------------------------- no keys anywhere


def test_keys_never_in_urls_or_logs(lsq, client, lead, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="bot")
    lsq.add_product("SKU-1", "Gold")
    activity_id = client.create_sales_activity(sale_body(lead))
    client.retrieve_sales_activities_by_lead(lead)
    client.cancel_sales_activity(activity_id, "test")
    client.leads_by_email("priya@acme.in")
    client.leads_by_phone("9876543210")
    client.leads_by_quick_search("priya")
    client.lead_by_id(lead)
    client.users_by_email("owner@acme.in")
    client.user_by_access_key()
    client.retrieve_products("gold")
    errors = []
    for mode in ("auth_401", "bare_500_html", "drop_before", "drop_after_create"):
        lsq.fail_next(mode)
        with pytest.raises(LeadSquaredError) as info:
            client.create_sales_activity(sale_body(lead))
        errors.append(info.value)
    with pytest.raises(LeadSquaredError) as info:
        LeadSquaredClient("http://127.0.0.1:1", AK, SK).leads_by_email("a@b.in")
    errors.append(info.value)

    assert len(lsq.calls) == 14
    for call in lsq.calls:
        assert not call.keys_in_query
        assert call.keys_in_headers
        assert not any(secret in str(call.query) for secret in SECRETS)
    for err in errors:
        assert_clean(err)
    text = caplog.text
    for secret in SECRETS:
        assert secret not in text
    # one DEBUG line per call: method, path, status, ms — and no query string
    ours = [r.getMessage() for r in caplog.records if r.name == "bot.leadsquared.client"]
    assert "LeadSquared POST /v2/SalesActivity.svc/Create -> 200 in" in ours[0]
    assert any("GET /v2/LeadManagement.svc/Leads.GetByEmailaddress -> 200 in" in m for m in ours)
    assert any("-> ambiguous in" in m for m in ours)
    assert any("-> unreachable in" in m for m in ours)
    assert not any("?" in m or "priya@acme.in" in m for m in ours)
    assert len(ours) == 15


# --------------------------------------------------------------------------- find_matching_activity


def _activity(
    activity_id,
    *,
    status="Won",
    product="pid-1",
    product_name="SKU-1 - Gold",
    revenue="1234.50",
    date="2024-05-01 10:00:00",
    **extra,
):
    fields = [
        {"SchemaName": "Status", "DisplayName": "Status", "Value": status, "DataType": "SearchableDropdown"},
        {"SchemaName": "mx_Custom_1", "DisplayName": "Product", "Value": product, "DataType": "Product"},
        {"SchemaName": "ProductName", "DisplayName": None, "Value": product_name, "DataType": None},
        {"SchemaName": "mx_Custom_2", "DisplayName": "Order Value", "Value": revenue, "DataType": "Number"},
        {"SchemaName": "mx_Custom_3", "DisplayName": "Sales Date", "Value": date, "DataType": "DateTime"},
    ]
    return {"ID": activity_id, "Name": "Sales Activity - New", "Fields": fields, **extra}


def test_find_matching_activity():
    body = sale_body("lead-1")
    assert find_matching_activity([_activity("a1")], body) == "a1"
    assert find_matching_activity([_activity("a1", revenue="1234.5")], body) == "a1"
    assert find_matching_activity([_activity("a1", revenue="1,234.50")], body) == "a1"
    assert find_matching_activity([_activity("a1", status="won")], body) == "a1"
    assert find_matching_activity([_activity("a1", date="2024-05-01T10:00:00")], body) == "a1"
    assert find_matching_activity([_activity("a1", date="2024-05-01 10:00:00.000")], body) == "a1"
    int_body = sale_body("lead-1", Revenue=1000)
    assert find_matching_activity([_activity("a1", revenue="1000.00")], int_body) == "a1"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "Open"},
        {"status": "Cancelled"},
        {"revenue": "1234.51"},
        {"revenue": None},
        {"revenue": "abc"},
        {"date": "2024-05-01 10:00:01"},
        {"date": None},
        {"product": "pid-2", "product_name": "SKU-2 - Silver"},
        {"product": "pid-2", "product_name": "SKU-10 - Gold"},  # prefix of another SKU is not a match
        {"Cancelled": True},
    ],
)
def test_find_matching_activity_rejects(change):
    assert find_matching_activity([_activity("a1", **change)], sale_body("lead-1")) is None


def test_find_matching_activity_product_forms():
    body = sale_body("lead-1")
    guid_only = _activity("a1", product_name=None)
    assert find_matching_activity([guid_only], body) is None
    assert find_matching_activity([guid_only], body, product_id="PID-1") == "a1"
    sku_value = _activity("a2", product="SKU-1", product_name=None)
    assert find_matching_activity([sku_value], body) == "a2"


def test_find_matching_activity_odd_input():
    body = sale_body("lead-1")
    assert find_matching_activity([], body) is None
    assert find_matching_activity(None, body) is None
    junk = ["nope", {"ID": "x"}, {"ID": "y", "Fields": "nope"}, {"Fields": []}, _activity(None)]
    assert find_matching_activity([*junk, _activity("a9")], body) == "a9"
    assert find_matching_activity([_activity("a1")], {**body, "Revenue": None}) is None
    assert find_matching_activity([_activity("a1")], {**body, "SalesDate": "soon"}) is None
    # first match wins (RetrieveByLeadId order)
    assert find_matching_activity([_activity("a1"), _activity("a2")], body) == "a1"


def test_find_matching_activity_on_leadsquared_doc_example():
    """The shape of the example in LeadSquared's 'Get Sales Activities by Lead Id' page."""
    activity = {
        "ID": "2f6a42c0-ab31-46a3-8469-a3db9e260493",
        "Name": "Sales Activity - New",
        "DisplayName": "Sales Activity",
        "Fields": [
            {"SchemaName": "Status", "InternalName": "Status", "Value": "Open", "DataType": "SearchableDropdown"},
            {"SchemaName": "mx_Custom_1", "Value": "3c8c8d02-8374-11e7-ab78-02de49b06427", "DataType": "Product"},
            {"SchemaName": "ProductName", "DisplayName": None, "Value": "01 - Sample Product", "IsDerived": True},
            {"SchemaName": "mx_Custom_2", "DisplayName": "Order Value", "Value": "3.00", "DataType": "Number"},
            {"SchemaName": "mx_Custom_3", "DisplayName": "Sales Date", "Value": "2015-10-07 09:00:37"},
            {
                "SchemaName": "mx_Custom_4",
                "DisplayName": "Sales Owner",
                "Value": "6ba64831-b1c1-11e4-981b-22000a9700b4",
            },
        ],
    }
    body = {"ProductSku": "01", "Status": "Open", "Revenue": 3, "SalesDate": "2015-10-07 09:00:37"}
    assert find_matching_activity([activity], body) == "2f6a42c0-ab31-46a3-8469-a3db9e260493"


def test_every_failure_mode_is_exercised():
    tested = {
        "auth_401",
        "mx_500",
        "bad_request_400",
        "html_404",
        "status_error_200",
        "rate_429",
        "rate_403",
        "rate_200",
        "bare_500_html",
        "drop_before",
        "drop_after_create",
        "slow_after_create",
    }
    assert tested == set(FAILURE_MODES)
