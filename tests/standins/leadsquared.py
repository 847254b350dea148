"""A stand-in LeadSquared: a real HTTP server on 127.0.0.1 behaving as the reference describes.

    with LeadSquaredStandIn(rate_limit=(25, 5.0)) as lsq:
        pid = lsq.add_lead(first_name="Priya", last_name="Shah", email="priya@acme.in", phone="9876543210")
        lsq.add_product("SKU-1", "Gold plan")
        lsq.add_user("owner@acme.in")
        client = LeadSquaredClient(lsq.url, lsq.access_key, lsq.secret_key)
        ...
        lsq.fail_next("drop_after_create")

Choices (where LeadSquared's docs are silent, documented here):

* Auth: headers ``x-LSQ-AccessKey``/``x-LSQ-SecretKey``, or ``accessKey``/``secretKey`` in the
  query string (accepted like the real API, but flagged in ``RecordedCall.keys_in_query``).
  Wrong/missing -> 401 ``MXUnAuthorizedAccessException``. Routing comes first: an unknown path
  is an HTML 404 (405 for a known path with the wrong method) whatever the keys.
* Rate limit: sliding window per account over every authenticated call; calls refused with
  429 do not count towards the window. Injected failures (``fail_next``) bypass it and don't count.
  A call is counted when it is answered (after ``delay`` or ``answers_held``): LeadSquared doesn't
  say when it counts, and the answer is the latest it could, the harder case for a client.
* Paths and query parameter names match case-insensitively (the real API is WCF).
* RetrieveByLeadId returns activities newest first, each
  ``{ID, Name, DisplayName, Fields:[{SchemaName, InternalName, DisplayName, Value, DataType}]}``
  with the SchemaNames LeadSquared's docs show: ``Status``, ``mx_Custom_1`` (Product: the
  product's GUID, not its SKU), ``ProductName`` (derived: "<SKU> - <Name>"), ``mx_Custom_2``
  (Order Value, "1234.50"), ``mx_Custom_3`` (Sales Date "yyyy-MM-dd HH:mm:ss", UTC),
  ``mx_Custom_4`` (Sales Owner: the user's GUID) and ``SalesOwner`` (derived: the user's name).
  A cancelled activity stays in the list with Status ``"Cancelled"`` (undocumented; a guess).
* Phone lookup: a stored number without spaces/dashes matches the query's digits, with or
  without country code; a stored number with spaces/dashes ("+91-9876543210") matches only that
  exact string. Like the doc says, only the match with the latest activity is returned, unless
  ``phone_lookup_returns_all=True``.
* RetrieveSetting answers ``self.setting``: by default the sample on LeadSquared's "Get Sales
  Activity Settings" page (https://apidocs.leadsquared.com/get-sales-activity-settings/: "$",
  "USD", the four built-in fields; the optional mx_Custom_5..8 left out). Tests change the
  currency with ``set_currency("₹", "INR", "Indian Rupee")``.
* When no products were added, any SKU is accepted (a product is made up for it); when no users
  were added, any SalesOwnerEmail is accepted.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.standins.background_server import BackgroundServer

FAILURE_MODES = (
    "auth_401",
    "mx_500",
    "bad_request_400",
    "html_404",
    "status_error_200",
    "rate_429",
    "rate_403",
    "rate_200",
    "bare_500_html",
    "drop_after_create",
    "slow_after_create",
    "drop_before",
)
_CREATE_ONLY_MODES = ("drop_after_create", "slow_after_create")
SALES_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_SALES_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_ACCESS_HEADER = "x-LSQ-AccessKey"
_SECRET_HEADER = "x-LSQ-SecretKey"

_HTML_404 = (
    "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head>"
    "<body><h2>404 - File or directory not found.</h2>"
    "<p>The resource you are looking for might have been removed.</p></body></html>"
)
_HTML_405 = "<html><body><h1>Method not allowed.</h1></body></html>"
_HTML_400 = (
    "<html><head><title>Request Error</title></head><body><p>The server encountered an error "
    "processing the request. See server logs for more details.</p></body></html>"
)
_HTML_500 = (
    "<html><head><title>500 Internal Server Error</title></head><body><center>"
    "<h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>"
)


def _documented_setting() -> dict:
    """The sample answer of GET SalesActivity.svc/RetrieveSetting, from LeadSquared's
    "Get Sales Activity Settings" page (apidocs.leadsquared.com/get-sales-activity-settings/)."""

    def field(n: int, display: str, data_type: str) -> dict:
        return {
            "SchemaName": f"mx_Custom_{n}",
            "DisplayName": display,
            "Value": None,
            "DataType": data_type,
            "IsMandatory": True,
            "ShowInForm": True,
            "Sequence": n,
        }

    return {
        "ID": "",
        "Name": "Sales Activity - New",
        "DisplayName": "Sales Activity",
        "DefaultCurrencySymbol": "$",
        "DefaultCurrencyAbbreviation": "USD",
        "DefaultCurrencyName": "US Dollars",
        "CustomerStageName": "Customer",
        "ConvertToCustomer": True,
        "Fields": [
            field(1, "Product", "Product"),
            field(2, "Order Value", "Number"),
            field(3, "Sales Date", "DateTime"),
            field(4, "Sales Owner", "ActiveUsers"),
        ],
    }


def _mx(exception_type: str, message: str) -> dict:
    return {"Status": "Error", "ExceptionType": exception_type, "ExceptionMessage": message}


# The keys LeadSquared's documented answers carry (tests/contract/leadsquared/ holds the samples,
# with their pages); what the stand-in doesn't know is null, as in those samples.
DOCUMENTED_LEAD_KEYS = (
    "ProspectID", "ProspectAutoId", "FirstName", "LastName", "EmailAddress", "Company", "Origin", "Phone",
    "Mobile", "Fax", "Website", "TimeZone", "Region", "JobTitle", "Source", "SourceMedium", "Notes",
    "SourceCampaign", "SourceContent", "DoNotEmail", "DoNotCall", "ProspectStage", "Grade", "Score", "Revenue",
    "EngagementScore", "TotalVisits", "PageViewsPerVisit", "AvgTimePerVisit", "RelatedProspectId",
    "ProspectActivityId_Min", "ProspectActivityDate_Min", "Web_Referrer", "Web_RefKeyword",
    "ProspectActivityId_Max", "ProspectActivityName_Max", "ProspectActivityDate_Max", "RelatedLandingPageId",
    "FirstLandingPageSubmissionId", "FirstLandingPageSubmissionDate", "OwnerId", "CreatedBy", "CreatedOn",
    "ModifiedBy", "ModifiedOn", "LeadConversionDate", "StatusCode", "StatusReason", "IsLead", "mx_Street1",
    "mx_Street2", "mx_City", "LeadType", "LeadLastModifiedOn", "LastVisitDate", "NotableEventdate",
    "NotableEvent", "SourceReferrer", "Longitude", "Latitude", "SourceIPAddress", "SourceReferrerURL",
    "ConversionReferrerURL", "DeletionStatusCode", "DoNotSMS", "DoNotTrack",
)  # fmt: skip
# RetrieveByLeadId's per-field keys (a derived field has no InternalName and says IsDerived).
_LEAD_ACTIVITY_FIELD_EXTRAS = {
    "ParentField": "", "OptionSet": "", "DependentOptionSet": "", "IsDefault": False, "IsReadOnly": False,
    "RenderType": None, "ExportAsPlainText": False, "IsMultiSelectDropdown": False, "IncludeOthersOption": False,
    "BehaviorOnMissingDropdownOption": 0, "IsOthersValue": False, "StringRenderType": None,
}  # fmt: skip
_ACCOUNT_KEYS = (
    "DefaultCurrencySymbol",
    "DefaultCurrencyAbbreviation",
    "DefaultCurrencyName",
    "CustomerStageName",
    "ConvertToCustomer",
)


def _lsq_time(when: datetime) -> str:
    """LeadSquared's record timestamps: "2017-11-30 07:38:00.000" (UTC)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.000")


def _new_guid() -> str:
    return str(uuid.uuid4())


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@dataclass
class RecordedCall:
    method: str
    path: str  # without the query string, e.g. "/v2/SalesActivity.svc/Create"
    query: dict[str, str]  # first value per name; accessKey/secretKey values replaced by "<redacted>"
    json: Any  # decoded request body, or None
    headers: dict[str, str]  # key header values replaced by "<present>"
    keys_in_headers: bool  # both x-LSQ-* headers were sent
    keys_in_query: bool  # accessKey or secretKey appeared in the query string (the bot must never)
    status: int | None = None  # None: the connection was dropped without an answer
    time: float = 0.0  # time.time() on arrival
    failure: str | None = None  # the fail_next mode applied, if any
    duration: float = 0.0


@dataclass
class _Failure:
    mode: str
    remaining: int
    path_contains: str | None
    sleep: float


@dataclass
class _Reply:
    status: int
    body: str = ""
    content_type: str = "application/json; charset=utf-8"


def _json_reply(status: int, data: Any) -> _Reply:
    return _Reply(status, json.dumps(data))


def _html_reply(status: int, html: str) -> _Reply:
    return _Reply(status, html, "text/html; charset=utf-8")


@dataclass
class _Route:
    method: str
    handler: str


_ROUTES = {
    "/v2/salesactivity.svc/create": _Route("POST", "_create"),
    "/v2/salesactivity.svc/cancel": _Route("POST", "_cancel"),
    "/v2/salesactivity.svc/retrievebyleadid": _Route("GET", "_retrieve_by_lead"),
    "/v2/salesactivity.svc/retrieveactivity": _Route("GET", "_retrieve_activity"),
    "/v2/salesactivity.svc/retrieveproducts": _Route("POST", "_retrieve_products"),
    "/v2/salesactivity.svc/retrievesetting": _Route("GET", "_retrieve_setting"),
    "/v2/leadmanagement.svc/leads.getbyemailaddress": _Route("GET", "_leads_by_email"),
    "/v2/leadmanagement.svc/retrieveleadbyphonenumber": _Route("GET", "_leads_by_phone"),
    "/v2/leadmanagement.svc/leads.getbyquicksearch": _Route("GET", "_leads_by_quick_search"),
    "/v2/leadmanagement.svc/leads.getbyid": _Route("GET", "_lead_by_id"),
    "/v2/usermanagement.svc/user/retrieve/byemailaddress": _Route("GET", "_users_by_email"),
    "/v2/authentication.svc/userbyaccesskey.get": _Route("GET", "_user_by_access_key"),
}


class LeadSquaredStandIn:
    def __init__(
        self,
        access_key: str = "ak-test",
        secret_key: str = "sk-test",
        *,
        rate_limit: tuple[int, float] | None = None,
        phone_lookup_returns_all: bool = False,
        api_host: str = "api-in21.leadsquared.com",
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.rate_limit = rate_limit
        self.phone_lookup_returns_all = phone_lookup_returns_all
        self.api_host = api_host
        self.url: str = ""
        # Data. Mutate through the add_* methods (they take the lock).
        self.leads: dict[str, dict] = {}  # ProspectID -> lead record as the API returns it
        self.users: dict[str, dict] = {}  # UserId -> user record
        self.inactive_users: set[str] = set()  # UserIds
        self.products: dict[str, dict] = {}  # ProductId -> {ProductId, ProductSku, Name}
        self.activities: dict[str, dict] = {}  # activity Id -> Create body + "Cancelled" (+ "CancelNote")
        self.calls: list[RecordedCall] = []
        self.setting: dict = _documented_setting()  # what RetrieveSetting answers
        # As documented (user-authentication page): the email is in PassPhrase, EmailAddress is null.
        self.key_user: dict = {
            "Class": "1",
            "Group": "1",
            "SubRegionId": "1",
            "Id": _new_guid(),
            "Name": "API User",
            "PassPhrase": "api.user@example.com",
            "Role": "Administrator",
            "EmailAddress": None,
            "SessionId": "",
            "TimeZone": "Asia/Kolkata",
            "TokenId": None,
            "Type": "ApplicationUser",
            "OrgDisplayName": "Stand-in Org",
            "OrgId": _new_guid(),
            "OrgShortCode": "10001",
            "OrgUniqueName": "standin",
            "DefaultCountryCode": "91",
            "Website": "",
            "Street1": "",
            "Street2": "",
            "City": "",
            "State": "",
            "Country": "India",
            "Phone": "",
            "Fax": "",
            "Zip": "",
            "AssociatedPhoneNumbers": "",
            "RestrictedFeatures": None,
            "CustomerType": "",
            "Plan": None,
            "UserType": "Regular",
        }
        self.lock = threading.RLock()
        self._delay = 0.0
        self._failures: list[_Failure] = []
        self._window: deque[float] = deque()
        self._activity_times: dict[str, float] = {}  # ProspectID -> last activity (for phone lookups)
        self._activity_created: dict[str, float] = {}
        self._stopping = threading.Event()
        self._answering = threading.Event()  # cleared by answers_held()
        self._answering.set()
        self._server: BackgroundServer | None = None
        self._clock = 0  # monotonic counter for "latest" ordering

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LeadSquaredStandIn:
        if self._server is not None:
            return self
        standin = self

        class Handler(_Handler):
            owner = standin

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.handle_error = lambda request, client_address: None  # dropped sockets are expected
        self._stopping.clear()
        self._server = BackgroundServer(server, "lsq-standin")
        self.url = f"http://127.0.0.1:{self._server.port}"
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in delay / slow_after_create
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> LeadSquaredStandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ knobs

    @property
    def delay(self) -> float:
        with self.lock:
            return self._delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        with self.lock:
            self._delay = float(seconds)

    @contextlib.contextmanager
    def answers_held(self) -> Iterator[None]:
        """Calls arriving inside the block are received (recorded) at once but answered, and
        counted in the rate window, only when it ends: LeadSquared slow to answer, for exactly
        as long as a benchmark or test needs."""
        self._answering.clear()
        try:
            yield
        finally:
            self._answering.set()

    def fail_next(self, mode: str, count: int = 1, path_contains: str | None = None, *, sleep: float = 5.0) -> None:
        """Make the next ``count`` matching calls fail in ``mode`` (see FAILURE_MODES).

        ``path_contains`` (case-insensitive) narrows which calls; "drop_after_create" and
        "slow_after_create" only ever apply to Create. ``sleep`` is how long
        "slow_after_create" waits before answering (make it longer than the client's read timeout).
        """
        if mode not in FAILURE_MODES:
            raise ValueError(f"unknown failure mode {mode!r}; one of {FAILURE_MODES}")
        with self.lock:
            self._failures.append(_Failure(mode, int(count), path_contains, float(sleep)))

    def clear_failures(self) -> None:
        with self.lock:
            self._failures.clear()

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    def calls_to(self, path_contains: str) -> list[RecordedCall]:
        with self.lock:
            return [c for c in self.calls if path_contains.lower() in c.path.lower()]

    def live_activities(self, prospect_id: str | None = None) -> dict[str, dict]:
        """Activities not cancelled (optionally of one lead)."""
        with self.lock:
            return {
                aid: body
                for aid, body in self.activities.items()
                if not body.get("Cancelled")
                and (prospect_id is None or str(body.get("ProspectId", "")).lower() == prospect_id.lower())
            }

    # ------------------------------------------------------------------ data

    def add_lead(
        self,
        prospect_id: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        mobile: str | None = None,
        **extra: Any,
    ) -> str:
        pid = prospect_id or _new_guid()
        with self.lock:
            self._clock += 1
            now = _lsq_time(datetime.now(timezone.utc))
            record = dict.fromkeys(DOCUMENTED_LEAD_KEYS)
            record.update(
                {
                    "ProspectID": pid,
                    "FirstName": first_name,
                    "LastName": last_name,
                    "EmailAddress": email,
                    "Phone": phone,
                    "Mobile": mobile,
                    "OwnerId": self.key_user["Id"],
                    "CreatedBy": self.key_user["Id"],
                    "ModifiedBy": self.key_user["Id"],
                    "ProspectAutoId": str(len(self.leads) + 1),
                    "CreatedOn": now,
                    "ModifiedOn": now,
                    "StatusCode": "0",
                    "StatusReason": "0",
                    "IsLead": "1",
                    "DoNotEmail": "0",
                    "DoNotCall": "0",
                    **extra,
                }
            )
            self.leads[pid] = record
            self._activity_times[pid] = self._clock
        return pid

    def add_user(
        self,
        email: str,
        active: bool = True,
        first_name: str = "",
        last_name: str = "",
        *,
        user_id: str | None = None,
        role: str = "Sales_User",
        time_zone: str = "Asia/Kolkata",
    ) -> str:
        uid = user_id or _new_guid()
        with self.lock:
            # The keys of the documented User/Retrieve/ByEmailAddress answer (active or not is
            # kept in inactive_users: that answer has no status field).
            self.users[uid] = {
                "UserId": uid,
                "FirstName": first_name,
                "LastName": last_name,
                "EmailAddress": email,
                "AssociatedPhoneNumbers": "",
                "DateFormat": "dd/mm/yy",
                "TimeZone": time_zone,
                "Role": role,
                "IsPhoneCallAgent": False,
                "OrgId": 10001,
                "CompanyName": "Stand-in Org",
                "UserType": 0,
                "ManagerUserId": None,
                "ManagerName": None,
                **{f"mx_Custom_{n}": "" for n in range(1, 11)},
                "Groups": [],
                "TeamId": None,
                "TeamName": None,
            }
            if active:
                self.inactive_users.discard(uid)
            else:
                self.inactive_users.add(uid)
        return uid

    def add_product(self, sku: str, name: str, *, product_id: str | None = None) -> str:
        pid = product_id or _new_guid()
        with self.lock:
            now = datetime.now(timezone.utc).strftime(SALES_DATE_FORMAT)
            self.products[pid] = {
                "ProductId": pid,
                "ProductSku": sku,
                "Name": name,
                "Description": None,
                "CreatedBy": self.key_user["Id"],
                "CreatedByName": self.key_user["Name"],
                "CreatedOn": now,
                "ModifiedBy": self.key_user["Id"],
                "ModifiedByName": self.key_user["Name"],
                "ModifiedOn": now,
            }
        return pid

    def set_currency(self, symbol: str, abbreviation: str, name: str = "") -> None:
        with self.lock:
            self.setting["DefaultCurrencySymbol"] = symbol
            self.setting["DefaultCurrencyAbbreviation"] = abbreviation
            self.setting["DefaultCurrencyName"] = name

    # ------------------------------------------------------------------ request handling

    def _take_failure(self, path: str) -> _Failure | None:
        with self.lock:
            is_create = path.lower() == "/v2/salesactivity.svc/create"
            for failure in self._failures:
                if failure.path_contains and failure.path_contains.lower() not in path.lower():
                    continue
                if failure.mode in _CREATE_ONLY_MODES and not is_create:
                    continue
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _authenticated(self, headers, query: dict[str, str]) -> bool:
        access = headers.get(_ACCESS_HEADER)
        secret = headers.get(_SECRET_HEADER)
        if access is None and secret is None:
            access, secret = query.get("accesskey"), query.get("secretkey")
        with self.lock:
            return access == self.access_key and secret == self.secret_key

    def _rate_limited(self) -> bool:
        if not self.rate_limit:
            return False
        limit, window = self.rate_limit
        now = time.monotonic()
        with self.lock:
            while self._window and self._window[0] <= now - window:
                self._window.popleft()
            if len(self._window) >= limit:
                return True
            self._window.append(now)
            return False

    def _rate_body(self) -> dict:
        limit, window = self.rate_limit or (25, 5.0)
        return _mx(
            "MXAPIRateLimitExceededException",
            f"API calls exceeded the limit of {limit} in {window:g} second(s)",
        )

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: Any, headers) -> _Reply:
        route = _ROUTES.get(path.lower().rstrip("/"))
        if route is None:
            return _html_reply(404, _HTML_404)
        if route.method != method:
            return _html_reply(405, _HTML_405)
        if not self._authenticated(headers, query):
            return _json_reply(
                401, _mx("MXUnAuthorizedAccessException", "The API key is invalid or the user is inactive")
            )
        if self._rate_limited():
            return _json_reply(429, self._rate_body())
        if method == "POST" and body is _INVALID_JSON:
            return _html_reply(400, _HTML_400)
        return getattr(self, route.handler)(query, body)

    def _canned(self, mode: str) -> _Reply:
        if mode == "auth_401":
            return _json_reply(
                401, _mx("MXUnAuthorizedAccessException", "The API key is invalid or the user is inactive")
            )
        if mode == "mx_500":
            return _json_reply(500, _mx("MXInvalidEntityException", "Lead does not exist in the system"))
        if mode == "bad_request_400":
            return _html_reply(400, _HTML_400)
        if mode == "html_404":
            return _html_reply(404, _HTML_404)
        if mode == "status_error_200":
            return _json_reply(200, _mx("MXInvalidInputException", "Invalid Input! Parameter Name: ProductSku"))
        if mode in ("rate_429", "rate_403", "rate_200"):
            status = {"rate_429": 429, "rate_403": 403, "rate_200": 200}[mode]
            return _json_reply(
                status,
                _mx("MXAPIRateLimitExceededException", "API calls exceeded the limit of 25 in 5 second(s)"),
            )
        if mode == "bare_500_html":
            return _html_reply(500, _HTML_500)
        raise AssertionError(mode)

    # ------------------------------------------------------------------ API methods

    def _create(self, query, body) -> _Reply:
        if not isinstance(body, dict):
            return _html_reply(400, _HTML_400)

        def invalid(name: str) -> _Reply:
            return _json_reply(500, _mx("MXInvalidInputException", f"Invalid Input! Parameter Name: {name}"))

        status = body.get("Status")
        if status not in ("Open", "Won", "Lost"):
            return invalid("Status")
        with self.lock:
            lead = _find_ci(self.leads, body.get("ProspectId"))
            if lead is None:
                return _json_reply(500, _mx("MXInvalidEntityException", "Lead does not exist in the system"))
            sku = body.get("ProductSku")
            if not isinstance(sku, str) or not sku.strip():
                return invalid("ProductSku")
            product = self._product_by_sku(sku)
            if product is None and self.products:
                return invalid("ProductSku")
            revenue = body.get("Revenue")
            if _revenue_decimal(revenue) is None:
                return invalid("Revenue")
            sales_date = body.get("SalesDate")
            if sales_date is not None and not _valid_sales_date(sales_date):
                return invalid("SalesDate")
            owner_email = body.get("SalesOwnerEmail")
            owner_id = body.get("SalesOwner")
            if self.users and (owner_email is not None or owner_id is not None):
                user = self._active_user(owner_email, owner_id)
                if user is None:
                    return invalid("SalesOwnerEmail" if owner_email is not None else "SalesOwner")
            if product is None:
                self.add_product(sku, sku)
            activity_id = _new_guid()
            self.activities[activity_id] = {**body, "Cancelled": False}
            self._clock += 1
            self._activity_times[lead["ProspectID"]] = self._clock
            self._activity_created[activity_id] = self._clock
        return _json_reply(200, {"Status": "Success", "Message": {"Id": activity_id}})

    def _cancel(self, query, body) -> _Reply:
        if not isinstance(body, dict):
            return _html_reply(400, _HTML_400)
        with self.lock:
            key = _find_key_ci(self.activities, body.get("activityId"))
            if key is None:
                return _json_reply(500, _mx("MXInvalidEntityException", "Sales Activity does not exist in the system"))
            self.activities[key]["Cancelled"] = True
            self.activities[key]["CancelNote"] = body.get("activityEventNote")
        return _json_reply(200, {"Status": "Success", "Message": {"Id": _new_guid()}})

    def _retrieve_by_lead(self, query, body) -> _Reply:
        lead_id = str(query.get("leadid") or "").lower()
        with self.lock:
            items = [
                (self._activity_created.get(aid, 0), aid, act)
                for aid, act in self.activities.items()
                if str(act.get("ProspectId", "")).lower() == lead_id
            ]
            items.sort(key=lambda t: t[0], reverse=True)
            return _json_reply(200, [self._activity_view(aid, act) for _, aid, act in items])

    def _retrieve_activity(self, query, body) -> _Reply:
        with self.lock:
            key = _find_key_ci(self.activities, query.get("activityid"))
            if key is None:
                return _json_reply(500, _mx("MXInvalidEntityException", "Sales Activity does not exist in the system"))
            view = self._activity_view(key, self.activities[key], detailed=False)
        # RetrieveActivity (documented): the account's currency on top, and shorter field records.
        head = {k: view[k] for k in ("ID", "Name", "DisplayName")}
        # The account-level keys are the same account setting RetrieveSetting answers.
        with self.lock:
            account = {k: self.setting.get(k) for k in _ACCOUNT_KEYS}
        return _json_reply(200, {**head, **account, "Fields": view["Fields"]})

    def _retrieve_products(self, query, body) -> _Reply:
        params = body.get("Parameter") if isinstance(body, dict) else None
        text = str((params or {}).get("SearchText") or "").strip().lower()
        paging = body.get("Paging") if isinstance(body, dict) else None
        try:
            size = int((paging or {}).get("PageSize") or 10)
            index = max(int((paging or {}).get("PageIndex") or 1), 1)
        except (TypeError, ValueError):
            return _html_reply(400, _HTML_400)
        with self.lock:
            found = [
                dict(p)
                for p in self.products.values()
                if not text or text in p["ProductSku"].lower() or text in p["Name"].lower()
            ]
        page = found[(index - 1) * size : index * size]
        return _json_reply(200, {"RecordCount": len(found), "List": page})

    def _retrieve_setting(self, query, body) -> _Reply:
        with self.lock:
            return _json_reply(200, self.setting)

    def _leads_by_email(self, query, body) -> _Reply:
        email = str(query.get("emailaddress") or "").strip().lower()
        with self.lock:
            found = [dict(r) for r in self.leads.values() if email and (r.get("EmailAddress") or "").lower() == email]
        return _json_reply(200, found)

    def _leads_by_phone(self, query, body) -> _Reply:
        phone = str(query.get("phone") or "")
        with self.lock:
            found = [
                r
                for r in self.leads.values()
                if _phone_matches(r.get("Phone"), phone) or _phone_matches(r.get("Mobile"), phone)
            ]
            found.sort(key=lambda r: self._activity_times.get(r["ProspectID"], 0), reverse=True)
            if not self.phone_lookup_returns_all:
                found = found[:1]
            return _json_reply(200, [dict(r) for r in found])

    def _leads_by_quick_search(self, query, body) -> _Reply:
        key = str(query.get("key") or "").strip().lower()
        if not key:
            return _json_reply(200, [])
        with self.lock:
            found = []
            for r in self.leads.values():
                name = f"{r.get('FirstName') or ''} {r.get('LastName') or ''}".strip()
                haystack = [name, r.get("EmailAddress"), r.get("Phone"), r.get("Mobile"), r.get("Company")]
                if any(key in str(h).lower() for h in haystack if h):
                    found.append(dict(r))
        return _json_reply(200, found)

    def _lead_by_id(self, query, body) -> _Reply:
        with self.lock:
            lead = _find_ci(self.leads, query.get("id"))
            return _json_reply(200, [dict(lead)] if lead else [])

    def _users_by_email(self, query, body) -> _Reply:
        email = str(query.get("emailaddress") or "").strip().lower()
        with self.lock:
            found = [
                dict(u)
                for uid, u in self.users.items()
                if uid not in self.inactive_users and (u.get("EmailAddress") or "").lower() == email
            ]
        return _json_reply(200, found)

    def _user_by_access_key(self, query, body) -> _Reply:
        with self.lock:
            data = dict(self.key_user)
        data["LSQCommonServiceURLs"] = {"api": self.api_host, "app": "app.leadsquared.com"}
        return _json_reply(200, data)

    # ------------------------------------------------------------------ helpers (lock held)

    def _product_by_sku(self, sku: str) -> dict | None:
        for p in self.products.values():
            if p["ProductSku"].lower() == sku.strip().lower():
                return p
        return None

    def _active_user(self, email, user_id) -> dict | None:
        for uid, u in self.users.items():
            if uid in self.inactive_users:
                continue
            if email is not None and (u.get("EmailAddress") or "").lower() == str(email).strip().lower():
                return u
            if user_id is not None and uid.lower() == str(user_id).strip().lower():
                return u
        return None

    def _activity_view(self, activity_id: str, act: dict, *, detailed: bool = True) -> dict:
        """One activity as RetrieveByLeadId shows it (``detailed``), or with RetrieveActivity's
        shorter field records."""
        sku = str(act.get("ProductSku") or "")
        product = self._product_by_sku(sku) if sku else None
        owner = self._active_user(act.get("SalesOwnerEmail"), act.get("SalesOwner"))
        if owner is None:  # also show inactive owners
            for u in self.users.values():
                if (u.get("EmailAddress") or "").lower() == str(act.get("SalesOwnerEmail") or "").lower():
                    owner = u
        revenue = _revenue_decimal(act.get("Revenue"))
        owner_name = ""
        if owner:
            owner_name = f"{owner.get('FirstName') or ''} {owner.get('LastName') or ''}".strip()
            owner_name = owner_name or owner.get("EmailAddress") or ""

        sequence = iter(range(1, 100))

        def fld(schema, display, value, data_type, derived=False):
            out = {"SchemaName": schema}
            if detailed and not derived:
                out["InternalName"] = schema
            out.update(
                {
                    "DisplayName": display,
                    "Value": value,
                    "DataType": data_type,
                    "IsMandatory": not derived,
                    "ShowInForm": not derived,
                    "Sequence": 0 if derived else next(sequence),
                }
            )
            if detailed:
                out.update(_LEAD_ACTIVITY_FIELD_EXTRAS)
                if derived:
                    out.update(ParentField=None, OptionSet=None, DependentOptionSet=None, IsDerived=True)
            else:
                out["OptionSet"] = None if derived else ""
                if derived:
                    out["IsDerived"] = True
            return out

        status = "Cancelled" if act.get("Cancelled") else act.get("Status")
        return {
            "ID": activity_id,
            "Name": "Sales Activity - New",
            "DisplayName": "Sales Activity",
            "Fields": [
                fld("Status", "Status", status, "SearchableDropdown"),
                fld("mx_Custom_1", "Product", product["ProductId"] if product else None, "Product"),
                fld("ProductName", None, f"{sku} - {product['Name']}" if product else None, None, True),
                fld("mx_Custom_2", "Order Value", f"{revenue:.2f}" if revenue is not None else None, "Number"),
                fld("mx_Custom_3", "Sales Date", act.get("SalesDate"), "DateTime"),
                fld("mx_Custom_4", "Sales Owner", owner["UserId"] if owner else None, "ActiveUsers"),
                fld("SalesOwner", None, owner_name or None, None, True),
            ],
        }


_INVALID_JSON = object()


def _find_key_ci(mapping: dict, key) -> str | None:
    if not isinstance(key, str):
        return None
    key = key.strip().lower()
    for k in mapping:
        if k.lower() == key:
            return k
    return None


def _find_ci(mapping: dict, key) -> dict | None:
    found = _find_key_ci(mapping, key)
    return mapping[found] if found is not None else None


def _revenue_decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def _valid_sales_date(value) -> bool:
    if not isinstance(value, str) or not _SALES_DATE_RE.match(value):
        return False
    try:
        datetime.strptime(value, SALES_DATE_FORMAT)
    except ValueError:
        return False
    return True


def _phone_matches(stored, query: str) -> bool:
    if not stored or not query:
        return False
    stored = str(stored).strip()
    if " " in stored or "-" in stored:
        return query.strip() == stored  # tenants storing "+91-XXXXXXXXXX" match only that form
    sd, qd = _digits(stored), _digits(query)
    if not qd or not sd:
        return False
    if sd == qd:
        return True
    if len(sd) >= 10 and len(qd) >= 10 and sd[-10:] == qd[-10:]:
        return sd.endswith(qd) or qd.endswith(sd)  # with or without country code
    return False


class _Handler(BaseHTTPRequestHandler):
    owner: LeadSquaredStandIn
    protocol_version = "HTTP/1.1"
    server_version = "LeadSquaredStandIn/1.0"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        owner = self.owner
        arrived = time.time()
        started = time.monotonic()
        parts = urlsplit(self.path)
        path = parts.path
        raw_query = parse_qs(parts.query, keep_blank_values=True)
        query = {k.lower(): v[0] for k, v in raw_query.items()}
        keys_in_query = any(k.lower() in ("accesskey", "secretkey") for k in raw_query)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length > 0 else b""
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body = _INVALID_JSON
        recorded_headers = {}
        for name, value in self.headers.items():
            if name.lower() in (_ACCESS_HEADER.lower(), _SECRET_HEADER.lower()):
                value = "<present>"
            recorded_headers[name] = value
        call = RecordedCall(
            method=method,
            path=path,
            query={
                k: ("<redacted>" if k.lower() in ("accesskey", "secretkey") else v[0]) for k, v in raw_query.items()
            },
            json=None if body is _INVALID_JSON else body,
            headers=recorded_headers,
            keys_in_headers=(
                self.headers.get(_ACCESS_HEADER) is not None and self.headers.get(_SECRET_HEADER) is not None
            ),
            keys_in_query=keys_in_query,
            time=arrived,
        )
        with owner.lock:
            owner.calls.append(call)

        delay = owner.delay
        if delay > 0 and owner._stopping.wait(delay):
            return self._drop(call, started)
        while not owner._answering.wait(0.05):
            if owner._stopping.is_set():
                return self._drop(call, started)

        failure = owner._take_failure(path)
        if failure is not None:
            call.failure = failure.mode
            if failure.mode == "drop_before":
                return self._drop(call, started)
            if failure.mode in _CREATE_ONLY_MODES:
                reply = owner._dispatch(method, path, query, body, self.headers)  # performs the Create
                if failure.mode == "drop_after_create":
                    return self._drop(call, started)
                owner._stopping.wait(failure.sleep)
                return self._send(call, reply, started)
            return self._send(call, owner._canned(failure.mode), started)

        reply = owner._dispatch(method, path, query, body, self.headers)
        self._send(call, reply, started)

    def _send(self, call: RecordedCall, reply: _Reply, started: float) -> None:
        data = reply.body.encode("utf-8")
        call.status = reply.status
        call.duration = time.monotonic() - started
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def _drop(self, call: RecordedCall, started: float) -> None:
        call.status = None
        call.duration = time.monotonic() - started
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


__all__ = ["FAILURE_MODES", "LeadSquaredStandIn", "RecordedCall"]
