"""The one place that decides what a LeadSquared failure means.

``classify_response`` turns an HTTP answer into a :class:`LeadSquaredError` (or ``None`` for
success); ``classify_exception`` does the same for an exception raised by ``requests``. Each
carries a domain :class:`~bot.domain.explanations.ErrorKind`; ``failure_of`` maps LeadSquared's
MX codes to the kind of refusal, and the words the salesperson reads are in
``bot.domain.explanations`` (``explain`` here only bridges to them).

The split that matters most is between errors where *nothing happened* (AUTH, APPLICATION,
BAD_REQUEST, NOT_FOUND, RATE_LIMITED, UNREACHABLE) and AMBIGUOUS, where the request may have
reached LeadSquared and been applied: LeadSquared's Create has no idempotency key, so an
AMBIGUOUS Create must be checked (``RetrieveByLeadId``) before it is ever sent again.

Nothing here may carry access keys, URLs with query strings, headers or raw response bodies
into ``str(err)`` / ``repr(err)``.
"""

from __future__ import annotations

import json
import re
import ssl

import requests
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import ProxyError as _Urllib3ProxyError
from urllib3.exceptions import SSLError as _Urllib3SSLError

from bot.domain import explanations
from bot.domain.explanations import ErrorKind, Failure, Refusal

MESSAGE_MAX_CHARS = 300
RATE_LIMIT_TYPE = "MXAPIRateLimitExceededException"
RATE_LIMIT_TEXT = "api calls exceeded the limit"


class LeadSquaredError(Exception):
    """A failed LeadSquared call.

    ``message`` is LeadSquared's own human ExceptionMessage (sanitised), or None.
    ``detail`` is our own short description when there is no LeadSquared message
    (e.g. "connection refused"); it never contains URLs or keys.
    """

    def __init__(
        self,
        kind: ErrorKind,
        *,
        status: int | None = None,
        exception_type: str | None = None,
        message: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.kind = ErrorKind(kind)
        self.status = status
        self.exception_type = _clean_type(exception_type)
        self.message = sanitize_message(message)
        self.detail = sanitize_message(detail)
        super().__init__(self._summary())

    @property
    def retryable(self) -> bool:
        """Safe to send the same request again automatically (nothing was applied)."""
        return self.kind in (ErrorKind.RATE_LIMITED, ErrorKind.UNREACHABLE)

    @property
    def ambiguous(self) -> bool:
        """The request may have reached LeadSquared and been applied."""
        return self.kind is ErrorKind.AMBIGUOUS

    def _summary(self) -> str:
        parts = [f"LeadSquared {self.kind.value}"]
        extra = []
        if self.status is not None:
            extra.append(f"HTTP {self.status}")
        if self.exception_type:
            extra.append(self.exception_type)
        if extra:
            parts.append(f"({', '.join(extra)})")
        text = " ".join(parts)
        said = self.message or self.detail
        return f"{text}: {said}" if said else text

    def __str__(self) -> str:
        return self._summary()

    def __repr__(self) -> str:
        return (
            f"LeadSquaredError(kind={self.kind.value!r}, status={self.status!r}, "
            f"exception_type={self.exception_type!r}, message={self.message!r}, detail={self.detail!r})"
        )

    def __reduce__(self):
        return (
            _rebuild,
            (self.kind.value, self.status, self.exception_type, self.message, self.detail),
        )


def _rebuild(kind, status, exception_type, message, detail) -> LeadSquaredError:
    return LeadSquaredError(
        ErrorKind(kind), status=status, exception_type=exception_type, message=message, detail=detail
    )


# --------------------------------------------------------------------------- sanitising

_TYPE_RE = re.compile(r"^[A-Za-z0-9_.]{1,120}$")
_KEY_PARAM_RE = re.compile(r"(?i)\b(access_?key|secret_?key)\s*[=:]\s*[^\s&,;\"']+")
_URL_QUERY_RE = re.compile(r"(?i)\b(https?://[^\s?#\"'<>]*)\?[^\s\"'<>]*")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


def sanitize_message(text: object) -> str | None:
    """Strip, flatten whitespace, drop anything key- or query-string-like, cap at 300 chars."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    text = _CONTROL_RE.sub(" ", text)
    text = _KEY_PARAM_RE.sub(lambda m: f"{m.group(1)}=<redacted>", text)
    text = _URL_QUERY_RE.sub(lambda m: f"{m.group(1)}?<redacted>", text)
    text = " ".join(text.split())
    if not text:
        return None
    if len(text) > MESSAGE_MAX_CHARS:
        text = text[: MESSAGE_MAX_CHARS - 1].rstrip() + "…"
    return text


def _clean_type(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if _TYPE_RE.match(value) else None


# --------------------------------------------------------------------------- responses


def _parse_json(body_text: str | bytes | None):
    """The decoded JSON, or None for HTML, empty, truncated or otherwise unreadable bodies."""
    if body_text is None:
        return None
    if isinstance(body_text, bytes):
        body_text = body_text.decode("utf-8", errors="replace")
    body_text = body_text.strip().lstrip("\ufeff")
    if not body_text or body_text[0] not in "{[":
        return None
    try:
        return json.loads(body_text)
    except (ValueError, RecursionError):
        return None


def _envelope_field(data: dict, name: str):
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return None


def _is_mx_type(exception_type: str | None) -> bool:
    return bool(exception_type) and exception_type.startswith("MX")


def classify_response(status: int, body_text: str | bytes | None) -> LeadSquaredError | None:
    """What an HTTP answer means. ``None`` = success (the body is the caller's to read)."""
    data = _parse_json(body_text)
    envelope = data if isinstance(data, dict) else {}
    raw_type = _envelope_field(envelope, "ExceptionType")
    exception_type = _clean_type(raw_type)
    raw_message = _envelope_field(envelope, "ExceptionMessage")
    if (
        raw_message is None
        and isinstance(_envelope_field(envelope, "Message"), str)
        and str(_envelope_field(envelope, "Status") or "").lower() == "error"
    ):
        # Some error envelopes put the text under "Message" instead.
        raw_message = _envelope_field(envelope, "Message")
    message = sanitize_message(raw_message) if isinstance(raw_message, (str, int, float)) else None
    envelope_status = str(_envelope_field(envelope, "Status") or "").strip().lower()

    # 1. Rate limiting, whatever the HTTP status (seen as 429, 403 and 200).
    if _looks_rate_limited(data, body_text, raw_type, raw_message):
        return LeadSquaredError(ErrorKind.RATE_LIMITED, status=status, exception_type=exception_type, message=message)

    def err(kind: ErrorKind, detail: str | None = None) -> LeadSquaredError:
        return LeadSquaredError(kind, status=status, exception_type=exception_type, message=message, detail=detail)

    if 200 <= status < 300:
        if envelope_status == "error":
            if _is_mx_type(exception_type) or message:
                return err(ErrorKind.APPLICATION)
            return err(ErrorKind.BAD_REQUEST, "LeadSquared answered Status Error without a reason")
        if _is_mx_type(exception_type):
            return err(ErrorKind.APPLICATION)
        return None
    if status in (401, 403):
        return err(ErrorKind.AUTH)
    if status == 429:
        return err(ErrorKind.RATE_LIMITED)
    if status == 400:
        return err(ErrorKind.BAD_REQUEST)
    if status in (404, 405, 410) or 300 <= status < 400:
        return err(ErrorKind.NOT_FOUND)
    if 400 <= status < 500:
        return err(ErrorKind.APPLICATION if _is_mx_type(exception_type) else ErrorKind.BAD_REQUEST)
    if 500 <= status < 600:
        if _is_mx_type(exception_type):
            return err(ErrorKind.APPLICATION)
        # No MX verdict: a proxy page, a crash, a gateway timeout. It may have been applied.
        return err(ErrorKind.AMBIGUOUS, "LeadSquared failed without saying why")
    return err(ErrorKind.AMBIGUOUS, "unexpected HTTP status")


def _looks_rate_limited(data, body_text, raw_type, raw_message) -> bool:
    if isinstance(raw_type, str) and RATE_LIMIT_TYPE.lower() in raw_type.lower():
        return True
    if isinstance(data, dict):
        texts = [raw_message, _envelope_field(data, "Message")]
        return any(isinstance(t, str) and RATE_LIMIT_TEXT in t.lower() for t in texts)
    if isinstance(data, list):
        return False  # a successful lookup; its records may contain any text
    # Not JSON (HTML, plain text, truncated): look at the raw text.
    if isinstance(body_text, bytes):
        body_text = body_text.decode("utf-8", errors="replace")
    if not isinstance(body_text, str):
        return False
    head = body_text[:4000].lower()
    return RATE_LIMIT_TEXT in head or RATE_LIMIT_TYPE.lower() in head


# --------------------------------------------------------------------------- exceptions


def _wrapped(exc: BaseException) -> BaseException | None:
    """The urllib3 exception inside a requests exception (MaxRetryError unwrapped to its reason)."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    if inner is None:
        inner = exc.__cause__ or exc.__context__
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        return inner.reason
    return inner


def _is_cert_failure(inner: BaseException | None) -> bool:
    seen = 0
    while inner is not None and seen < 5:
        if isinstance(inner, ssl.SSLCertVerificationError):
            return True
        nxt = inner.args[0] if inner.args and isinstance(inner.args[0], BaseException) else None
        inner = nxt or inner.__cause__ or inner.__context__
        seen += 1
    return False


def classify_exception(exc: BaseException) -> LeadSquaredError:
    """What an exception from ``requests`` means. Never copies ``str(exc)`` (it holds the URL)."""
    name = type(exc).__name__

    def err(kind: ErrorKind, detail: str) -> LeadSquaredError:
        return LeadSquaredError(kind, detail=f"{detail} ({name})")

    if isinstance(exc, LeadSquaredError):
        return exc
    # Failed before anything was sent.
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return err(ErrorKind.UNREACHABLE, "timed out connecting to LeadSquared")
    if isinstance(exc, requests.exceptions.SSLError):
        if _is_cert_failure(_wrapped(exc)):
            return err(ErrorKind.UNREACHABLE, "LeadSquared's TLS certificate was not trusted")
        return err(ErrorKind.AMBIGUOUS, "the TLS connection failed")
    if isinstance(exc, requests.exceptions.ProxyError):
        return err(ErrorKind.UNREACHABLE, "could not connect through the proxy")
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidHeader,
            requests.exceptions.URLRequired,
            requests.exceptions.InvalidJSONError,
        ),
    ):
        # Our own request was malformed (bad URL/header/JSON body): nothing was sent, and
        # sending it again would fail the same way.
        return err(ErrorKind.BAD_REQUEST, "the request could not be built; nothing was sent")
    # Sent (or possibly sent), then no usable answer.
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return err(ErrorKind.AMBIGUOUS, "LeadSquared did not answer in time")
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return err(ErrorKind.AMBIGUOUS, "the connection broke while reading the answer")
    if isinstance(exc, requests.exceptions.ConnectionError):
        inner = _wrapped(exc)
        if isinstance(inner, NewConnectionError):  # includes NameResolutionError
            return err(ErrorKind.UNREACHABLE, "could not connect to LeadSquared")
        if isinstance(inner, ConnectTimeoutError):
            return err(ErrorKind.UNREACHABLE, "timed out connecting to LeadSquared")
        if isinstance(inner, _Urllib3ProxyError):
            return err(ErrorKind.UNREACHABLE, "could not connect through the proxy")
        if isinstance(inner, ClosedPoolError):
            return err(ErrorKind.UNREACHABLE, "the connection pool was closed")
        if isinstance(inner, _Urllib3SSLError) and _is_cert_failure(inner):
            return err(ErrorKind.UNREACHABLE, "LeadSquared's TLS certificate was not trusted")
        if isinstance(inner, ReadTimeoutError):
            return err(ErrorKind.AMBIGUOUS, "LeadSquared did not answer in time")
        if isinstance(inner, ProtocolError):
            return err(ErrorKind.AMBIGUOUS, "the connection dropped before LeadSquared answered")
        return err(ErrorKind.AMBIGUOUS, "the connection failed")
    return err(ErrorKind.AMBIGUOUS, "unexpected error while calling LeadSquared")


# --------------------------------------------------------------------------- to the domain's words

# LeadSquared's MX codes, as the kind of refusal the salesperson is advised on.
_REFUSALS = {
    "MXInvalidEntityException": Refusal.WRONG_RECORD,
    "MXInvalidInputException": Refusal.WRONG_INPUT,
    "MXDuplicateEntryException": Refusal.DUPLICATE,
}


def failure_of(err: LeadSquaredError) -> Failure:
    """The error as ``bot.domain.explanations`` words it (detail, ours, is never shown)."""
    return Failure(
        kind=err.kind,
        said=err.message,
        refusal=_REFUSALS.get(err.exception_type or "", Refusal.OTHER),
        code=err.exception_type,
    )


def explain(err: LeadSquaredError) -> str:
    """What happened and what to do, in plain words (the table is ``bot.domain.explanations``)."""
    return explanations.explain(failure_of(err))


def explain_delay(err: LeadSquaredError) -> str:
    """For a transient failure the sale is queued and retried: why it is late, in plain words."""
    return explanations.explain_delay(failure_of(err))
