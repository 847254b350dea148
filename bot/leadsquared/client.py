"""LeadSquared REST client (``requests``; no Slack).

Rules this module keeps:

* Keys travel ONLY in the ``x-LSQ-AccessKey`` / ``x-LSQ-SecretKey`` headers — never in a URL,
  a log line or an exception.
* Every call first asks the rate limiter; a refusal raises RATE_LIMITED without sending.
* Every failure is a :class:`~bot.leadsquared.errors.LeadSquaredError` (see ``errors.py``), raised
  outside the ``except`` block so neither ``__cause__`` nor ``__context__`` carries the
  ``requests`` exception (whose text holds the URL).
* No retries here: Create is not idempotent, so the caller decides (see ``find_matching_activity``).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import requests
import requests.adapters

from bot import metrics
from bot.domain.model import Sale
from bot.leadsquared.errors import ErrorKind, LeadSquaredError, classify_exception, classify_response
from bot.leadsquared.hosts import base_url_from_host  # noqa: F401 - part of this module's API

log = logging.getLogger(__name__)

API_PREFIX = "/v2/"
# LeadSquared's SalesDate on the wire: UTC, "2026-11-26 09:30:00". Used only here.
WIRE_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# Connections kept to LeadSquared: at most this many threads call at once (the dispatcher's
# up to 8, the lookups' 16, the background pool's 4), so none opens one only to discard it.
KEPT_CONNECTIONS = 32
_KEY_RE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: safe in an HTTP header


def to_leadsquared(dt_utc: datetime) -> str:
    """LeadSquared's SalesDate wire format, in UTC: "2026-11-26 09:30:00"."""
    if dt_utc.tzinfo is None:
        dt_utc = dt_utc.replace(tzinfo=timezone.utc)
    return dt_utc.astimezone(timezone.utc).strftime(WIRE_DATE_FORMAT)


def revenue_number(revenue: Decimal) -> int | float:
    """JSON number for a Decimal: whole amounts as int, others as float."""
    if revenue == revenue.to_integral_value():
        return int(revenue)
    return float(revenue)


def sale_body(sale: Sale, prospect_id: str) -> dict:
    """Body for POST SalesActivity.svc/Create, from the validated sale."""
    return {
        "ProspectId": prospect_id,
        "ProductSku": sale.product_sku,
        "Status": sale.status,
        "Revenue": revenue_number(sale.revenue),
        "SalesOwnerEmail": sale.sales_owner_email,
        "SalesDate": to_leadsquared(sale.sales_date_utc),
    }


def _session() -> requests.Session:
    """requests' default keeps 10 connections; more threads than that call at once, and each
    call past the tenth opened a connection (a TLS handshake) that was then thrown away, with a
    "Connection pool is full" warning, in every burst."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=KEPT_CONNECTIONS)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class RateLimiter(Protocol):
    def acquire(self, max_wait: float | None) -> object:
        """Truthy = a call may be made now (waiting up to ``max_wait`` seconds; None = no limit).
        A truthy answer with an ``answered()`` method (bot.delivery.rate_limit.Slot) is told
        when LeadSquared's answer is in: the call counts in the window from then."""
        ...


class LeadSquaredClient:
    def __init__(
        self,
        base_url: str,
        access_key: str,
        secret_key: str,
        *,
        timeout: tuple[float, float] = (5.0, 20.0),
        rate_limiter: RateLimiter | None = None,
        max_wait: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url_from_host(base_url)
        for label, key in (("access key", access_key), ("secret key", secret_key)):
            if not isinstance(key, str) or not _KEY_RE.match(key):
                # Never echo the key itself.
                raise ValueError(f"LeadSquared {label} is empty or has spaces/non-ASCII characters")
        self.__access_key = access_key
        self.__secret_key = secret_key
        self.timeout = timeout
        self.rate_limiter = rate_limiter
        self.max_wait = max_wait
        self.session = session if session is not None else _session()

    def __repr__(self) -> str:
        return f"LeadSquaredClient(base_url={self.base_url!r})"

    def with_options(
        self,
        *,
        timeout: tuple[float, float] | None = None,
        max_wait: float | None = None,
        rate_limiter: RateLimiter | None = None,
    ):
        """A shallow copy sharing the session (and the limiter unless another is given)."""
        other = copy.copy(self)
        if timeout is not None:
            other.timeout = timeout
        if max_wait is not None:
            other.max_wait = max_wait
        if rate_limiter is not None:
            other.rate_limiter = rate_limiter
        return other

    # ------------------------------------------------------------------ transport

    def _call(self, method: str, service_path: str, *, params: dict | None = None, json_body: Any = None):
        """One HTTP call. Returns the decoded JSON of a success answer; raises LeadSquaredError otherwise."""
        path = API_PREFIX + service_path
        slot = self.rate_limiter.acquire(self.max_wait) if self.rate_limiter is not None else True
        if not slot:
            log.debug("LeadSquared %s %s -> not sent (rate limiter)", method, path)
            raise LeadSquaredError(ErrorKind.RATE_LIMITED, detail="LogSale's own call budget is used up")

        started = time.monotonic()
        response, failure = self._send(method, self.base_url + path, params, json_body)
        answered = getattr(slot, "answered", None)
        if answered is not None:
            answered()
        elapsed_ms = int((time.monotonic() - started) * 1000)
        metrics.observe_leadsquared_call(
            service_path.split("?")[0], failure.kind.value if failure else str(response.status_code), elapsed_ms / 1000
        )
        if failure is not None:
            # Raised here, outside any except block and outside the frame that held the keys:
            # no __cause__/__context__ pointing at the requests error, no key in this frame's locals.
            log.debug("LeadSquared %s %s -> %s in %d ms", method, path, failure.kind.value, elapsed_ms)
            raise failure from None

        status = response.status_code
        body_text = response.content.decode("utf-8", errors="replace")
        del response  # its .request still carries the key headers
        log.debug("LeadSquared %s %s -> %s in %d ms", method, path, status, elapsed_ms)
        error = classify_response(status, body_text)
        if error is not None:
            raise error from None
        data = _decode(body_text)
        if data is _UNREADABLE:
            # A success status with a body we can't read: for a Create, it may well exist.
            raise LeadSquaredError(ErrorKind.AMBIGUOUS, status=status, detail="LeadSquared's answer was not JSON")
        return data

    def _send(self, method: str, url: str, params, json_body):
        """(response, None) or (None, LeadSquaredError). The only place the keys are used."""
        headers = {
            "x-LSQ-AccessKey": self.__access_key,
            "x-LSQ-SecretKey": self.__secret_key,
            "Accept": "application/json",
        }
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a LeadSquaredError
            return None, classify_exception(exc)
        return response, None

    # ------------------------------------------------------------------ sales activities

    def create_sales_activity(self, body: dict) -> str:
        """POST SalesActivity.svc/Create; returns the new activity's Id.

        A success status whose body has no Id is AMBIGUOUS: the activity may exist.
        """
        data = self._call("POST", "SalesActivity.svc/Create", json_body=body)
        activity_id = None
        if isinstance(data, dict) and isinstance(data.get("Message"), dict):
            activity_id = data["Message"].get("Id")
        if not isinstance(activity_id, str) or not activity_id.strip():
            raise LeadSquaredError(ErrorKind.AMBIGUOUS, detail="LeadSquared answered without an activity Id")
        return activity_id.strip()

    def retrieve_sales_activities_by_lead(self, prospect_id: str) -> list[dict]:
        data = self._call(
            "GET",
            "SalesActivity.svc/RetrieveByLeadId",
            params={"leadId": prospect_id, "includeOption": "false"},
        )
        if isinstance(data, dict):  # be lenient about a wrapped list
            for key in ("List", "Activities", "SalesActivities"):
                if isinstance(data.get(key), list):
                    data = data[key]
                    break
        return _list_of_dicts(data, "sales activities")

    def cancel_sales_activity(self, activity_id: str, note: str) -> None:
        data = self._call(
            "POST",
            "SalesActivity.svc/Cancel",
            json_body={"activityId": activity_id, "activityEventNote": note},
        )
        if isinstance(data, dict) and str(data.get("Status", "")).lower() == "success":
            return
        raise LeadSquaredError(ErrorKind.AMBIGUOUS, detail="LeadSquared's answer to Cancel was not understood")

    def retrieve_setting(self) -> dict:
        """GET SalesActivity.svc/RetrieveSetting: the account's sales activity settings
        (``DefaultCurrencySymbol``, ``DefaultCurrencyAbbreviation``, the ``Fields``)."""
        data = self._call("GET", "SalesActivity.svc/RetrieveSetting")
        if not isinstance(data, dict):
            raise LeadSquaredError(ErrorKind.AMBIGUOUS, detail="LeadSquared's settings answer was not understood")
        return data

    # ------------------------------------------------------------------ leads

    def leads_by_email(self, email: str) -> list[dict]:
        data = self._call("GET", "LeadManagement.svc/Leads.GetByEmailaddress", params={"emailaddress": email})
        return _list_of_dicts(data, "leads")

    def leads_by_phone(self, phone: str) -> list[dict]:
        data = self._call("GET", "LeadManagement.svc/RetrieveLeadByPhoneNumber", params={"phone": phone})
        return _list_of_dicts(data, "leads")

    def leads_by_quick_search(self, text: str) -> list[dict]:
        data = self._call("GET", "LeadManagement.svc/Leads.GetByQuickSearch", params={"key": text})
        return _list_of_dicts(data, "leads")

    def lead_by_id(self, prospect_id: str) -> dict | None:
        data = self._call("GET", "LeadManagement.svc/Leads.GetById", params={"id": prospect_id})
        if isinstance(data, dict):
            return data or None
        leads = _list_of_dicts(data, "leads")
        return leads[0] if leads else None

    # ------------------------------------------------------------------ users, products

    def users_by_email(self, email: str) -> list[dict]:
        data = self._call("GET", "UserManagement.svc/User/Retrieve/ByEmailAddress", params={"emailAddress": email})
        return _list_of_dicts(data, "users")

    def user_by_access_key(self) -> dict:
        data = self._call("GET", "Authentication.svc/UserByAccessKey.Get")
        if not isinstance(data, dict):
            raise LeadSquaredError(ErrorKind.AMBIGUOUS, detail="LeadSquared's user answer was not understood")
        return data

    def retrieve_products(self, search_text: str, page_size: int = 10) -> list[dict]:
        body = {
            "Parameter": {"SearchText": search_text},
            "Sorting": {"ColumnName": "ModifiedOn", "Direction": "1"},
            "Paging": {"PageIndex": 1, "PageSize": int(page_size)},
        }
        data = self._call("POST", "SalesActivity.svc/RetrieveProducts", json_body=body)
        if isinstance(data, dict):
            data = data.get("List") if data.get("List") is not None else []
        return _list_of_dicts(data, "products")


def key_owner_label(user: dict) -> str:
    """Who the access keys belong to, from UserByAccessKey.Get. LeadSquared's documented answer
    has ``"EmailAddress": null`` with the email in ``PassPhrase``, and a ``Name`` (no FirstName)."""
    for key in ("EmailAddress", "PassPhrase", "Name", "FirstName"):
        value = user.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "a user"


_UNREADABLE = object()


def _decode(body_text: str):
    """The JSON in a success body, or _UNREADABLE (empty, HTML, truncated)."""
    text = body_text.strip().lstrip("\ufeff")
    if not text:
        return _UNREADABLE
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _UNREADABLE


def _list_of_dicts(data, what: str) -> list[dict]:
    if not isinstance(data, list):
        raise LeadSquaredError(ErrorKind.AMBIGUOUS, detail=f"LeadSquared's {what} answer was not understood")
    return [item for item in data if isinstance(item, dict)]


# --------------------------------------------------------------------------- reconciliation

# Schema names of the built-in sales activity fields, as LeadSquared's docs show them for
# RetrieveByLeadId / RetrieveActivity / RetrieveSetting. The Product field's Value is the
# product's GUID (ProductId), not its SKU; the derived "ProductName" field reads "<SKU> - <Name>".
FIELD_STATUS = "Status"
FIELD_PRODUCT = "mx_Custom_1"
FIELD_PRODUCT_NAME = "ProductName"
FIELD_REVENUE = "mx_Custom_2"
FIELD_SALES_DATE = "mx_Custom_3"
FIELD_SALES_OWNER = "mx_Custom_4"

_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ")


def _fields(activity: dict) -> list[dict]:
    fields = activity.get("Fields")
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def _field(fields: list[dict], schema_name: str, *, data_type: str | None = None, display: tuple = ()):
    for f in fields:
        if str(f.get("SchemaName", "")).lower() == schema_name.lower():
            return f.get("Value")
    for f in fields:
        if data_type and str(f.get("DataType", "")).lower() == data_type.lower():
            return f.get("Value")
        if display and str(f.get("DisplayName", "")).strip().lower() in display:
            return f.get("Value")
    return None


def _as_decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


def _as_datetime(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    text = re.sub(r"\.\d+(?=Z?$)", "", text)  # drop fractional seconds
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _norm(value) -> str:
    return str(value).strip().lower() if value is not None else ""


def find_matching_activity(
    activities: list[dict], body: dict, *, product_id: str | None = None, exclude: frozenset[str] = frozenset()
) -> str | None:
    """The ID of an activity in ``activities`` (from RetrieveByLeadId) that looks like ``body``.

    Same Status, Revenue (numerically), SalesDate (to the second) and product. The product
    matches when the Product field's value is the body's ProductSku or the given
    ``product_id`` (its GUID), or when the derived ProductName reads "<ProductSku> - …".
    Cancelled activities (Status "Cancelled", or a "Cancelled" flag) never match, nor do
    the ids in ``exclude`` (activities other sales already own: two identical sales to one
    lead are two activities, and each may adopt only its own).
    """
    want_status = _norm(body.get("Status"))
    want_sku = _norm(body.get("ProductSku"))
    want_revenue = _as_decimal(body.get("Revenue"))
    want_date = _as_datetime(body.get("SalesDate"))
    want_pid = _norm(product_id)
    if not want_status or not want_sku or want_revenue is None or want_date is None:
        return None
    for activity in activities or []:
        if not isinstance(activity, dict):
            continue
        activity_id = activity.get("ID") or activity.get("Id") or activity.get("ActivityId")
        if not activity_id or activity.get("Cancelled") is True or str(activity_id) in exclude:
            continue
        fields = _fields(activity)
        status = _norm(_field(fields, FIELD_STATUS))
        if status != want_status:
            continue
        revenue = _as_decimal(_field(fields, FIELD_REVENUE, display=("order value", "revenue")))
        if revenue is None or revenue != want_revenue:
            continue
        when = _as_datetime(_field(fields, FIELD_SALES_DATE, display=("sales date",)))
        if when is None or when != want_date:
            continue
        product = _norm(_field(fields, FIELD_PRODUCT, data_type="Product"))
        product_name = _norm(_field(fields, FIELD_PRODUCT_NAME))
        if not (
            (product and product in (want_sku, want_pid))
            or product_name == want_sku
            or product_name.startswith(want_sku + " - ")
        ):
            continue
        return str(activity_id)
    return None
