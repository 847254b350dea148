"""The one LeadSquared error classifier, and the words each classified answer ends in."""

from __future__ import annotations

import json
import pickle
import ssl
from http.client import RemoteDisconnected

import pytest
import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

from bot.domain.explanations import AUTH_TEXT
from bot.leadsquared.errors import (
    ErrorKind,
    LeadSquaredError,
    classify_exception,
    classify_response,
    explain,
    sanitize_message,
)

K = ErrorKind


def mx(exception_type: str, message: str) -> str:
    return json.dumps({"Status": "Error", "ExceptionType": exception_type, "ExceptionMessage": message})


RATE = mx("MXAPIRateLimitExceededException", "API calls exceeded the limit of 25 in 5 second(s)")
UNAUTH = mx("MXUnAuthorizedAccessException", "The API key is invalid")
NO_LEAD = mx("MXInvalidEntityException", "Lead does not exist in the system")
BAD_SKU = mx("MXInvalidInputException", "Invalid Input! Parameter Name: ProductSku")
HTML_404 = "<!DOCTYPE html><html><body><h2>404 - File or directory not found.</h2></body></html>"
HTML_500 = "<html><body><h1>500 Internal Server Error</h1>BODY-MARKER</body></html>"


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        # rate limiting, whatever the status
        (429, RATE, K.RATE_LIMITED),
        (403, RATE, K.RATE_LIMITED),
        (200, RATE, K.RATE_LIMITED),
        (401, RATE, K.RATE_LIMITED),
        (500, RATE, K.RATE_LIMITED),
        (429, "", K.RATE_LIMITED),
        (429, "<html>Too many</html>", K.RATE_LIMITED),
        (200, "API calls exceeded the limit of 10 in 5 second(s)", K.RATE_LIMITED),
        (403, '{"Status":"Error","ExceptionType":"MXAPIRateLimitExceededException","Exc', K.RATE_LIMITED),
        (200, json.dumps({"Status": "Error", "Message": "API calls exceeded the limit of 2"}), K.RATE_LIMITED),
        # auth
        (401, UNAUTH, K.AUTH),
        (401, mx("MXInvalidAccessDetailsException", "Invalid access details"), K.AUTH),
        (401, "", K.AUTH),
        (401, HTML_404, K.AUTH),
        (403, "", K.AUTH),
        (403, UNAUTH, K.AUTH),
        (403, "<html>Forbidden</html>", K.AUTH),
        # LeadSquared's own verdicts
        (500, NO_LEAD, K.APPLICATION),
        (500, BAD_SKU, K.APPLICATION),
        (500, mx("MXDuplicateEntryException", "Duplicate"), K.APPLICATION),
        (500, mx("MXSomethingNewException", "A type nobody has seen"), K.APPLICATION),
        (200, BAD_SKU, K.APPLICATION),
        (200, json.dumps({"Status": "Error", "ExceptionMessage": "No type, just words"}), K.APPLICATION),
        (200, json.dumps({"ExceptionType": "MXInvalidInputException", "ExceptionMessage": "x"}), K.APPLICATION),
        (409, mx("MXDuplicateEntryException", "Duplicate"), K.APPLICATION),
        # malformed requests
        (400, "<html><title>Request Error</title></html>", K.BAD_REQUEST),
        (400, "", K.BAD_REQUEST),
        (400, BAD_SKU, K.BAD_REQUEST),
        (200, '{"Status":"Error"}', K.BAD_REQUEST),
        (200, '{"status":"error"}', K.BAD_REQUEST),
        (415, "", K.BAD_REQUEST),
        (422, "{}", K.BAD_REQUEST),
        # wrong address
        (404, HTML_404, K.NOT_FOUND),
        (404, "", K.NOT_FOUND),
        (404, '{"Status":"Error"}', K.NOT_FOUND),
        (405, "<html>Method not allowed.</html>", K.NOT_FOUND),
        (301, "", K.NOT_FOUND),
        (302, "<html>moved</html>", K.NOT_FOUND),
        # no verdict: may have been applied
        (500, HTML_500, K.AMBIGUOUS),
        (500, "", K.AMBIGUOUS),
        (500, '{"Status":"Error","ExceptionType":"MXInvalidEnt', K.AMBIGUOUS),  # truncated
        (500, json.dumps({"Status": "Error", "ExceptionType": "System.NullReferenceException"}), K.AMBIGUOUS),
        (500, "[]", K.AMBIGUOUS),
        (502, "<html>Bad gateway</html>", K.AMBIGUOUS),
        (503, "", K.AMBIGUOUS),
        (504, "upstream timed out", K.AMBIGUOUS),
        (100, "", K.AMBIGUOUS),
    ],
)
def test_classify_response_table(status, body, kind):
    err = classify_response(status, body)
    assert err is not None
    assert err.kind is kind
    assert err.status == status
    assert isinstance(str(err), str) and len(str(err)) < 500


@pytest.mark.parametrize(
    "body",
    [
        '{"Status":"Success","Message":{"Id":"abc"}}',
        "[]",
        '[{"ProspectID":"x","Notes":"API calls exceeded the limit of 25"}]',  # a lead's text, not a verdict
        '[{"ProspectID":"x","mx_Notes":"MXAPIRateLimitExceededException"}]',
        '{"RecordCount":0,"List":[]}',
        "",
        "<html>odd but 2xx</html>",  # the client decides what an unreadable success means
        '{"Status":"Succ',  # truncated success: the client decides
        "null",
        "42",
    ],
)
def test_classify_response_success(body):
    assert classify_response(200, body) is None
    assert classify_response(201, body) is None


def test_classify_response_accepts_bytes_and_bom():
    err = classify_response(500, ("\ufeff" + NO_LEAD).encode("utf-8"))
    assert err.kind is K.APPLICATION
    assert err.message == "Lead does not exist in the system"
    assert classify_response(200, b"[]") is None
    assert classify_response(500, None).kind is K.AMBIGUOUS


def test_application_error_keeps_leadsquared_words():
    err = classify_response(500, NO_LEAD)
    assert err.exception_type == "MXInvalidEntityException"
    assert err.message == "Lead does not exist in the system"
    assert "Lead does not exist in the system" in str(err)
    assert "HTTP 500" in str(err)
    assert not err.retryable and not err.ambiguous


def test_status_error_200_message():
    err = classify_response(200, BAD_SKU)
    assert err.kind is K.APPLICATION
    assert err.message == "Invalid Input! Parameter Name: ProductSku"


def test_raw_body_never_in_error_text():
    err = classify_response(500, HTML_500)
    assert "BODY-MARKER" not in str(err)
    assert "BODY-MARKER" not in repr(err)
    assert "<html" not in str(err)


def test_message_is_sanitised():
    long = "word " * 200
    err = classify_response(500, mx("MXInvalidInputException", "  line one\n\tline two  " + long))
    assert err.message.startswith("line one line two")
    assert len(err.message) <= 300
    assert err.message.endswith("…")
    leaky = (
        "Failed for https://api-in21.leadsquared.com/v2/X.svc/Y?accessKey=u$rAK123&secretKey=SK456 "
        "and accessKey=u$rAK123"
    )
    err = classify_response(500, mx("MXInvalidInputException", leaky))
    assert "AK123" not in str(err) and "SK456" not in str(err)
    assert "AK123" not in repr(err) and "SK456" not in repr(err)
    assert "https://api-in21.leadsquared.com/v2/X.svc/Y?<redacted>" in err.message


def test_garbage_fields_are_dropped():
    body = json.dumps({"Status": "Error", "ExceptionType": "<script>alert(1)</script>", "ExceptionMessage": {}})
    err = classify_response(500, body)
    assert err.exception_type is None
    assert err.message is None
    assert sanitize_message("   ") is None
    assert sanitize_message(None) is None
    assert sanitize_message(12) == "12"


def test_retryable_and_ambiguous_by_kind():
    for kind in ErrorKind:
        err = LeadSquaredError(kind)
        assert err.retryable is (kind in (K.RATE_LIMITED, K.UNREACHABLE))
        assert err.ambiguous is (kind is K.AMBIGUOUS)


def test_error_str_repr_and_pickle():
    err = LeadSquaredError(K.APPLICATION, status=500, exception_type="MXInvalidEntityException", message="Nope")
    assert str(err) == "LeadSquared application (HTTP 500, MXInvalidEntityException): Nope"
    assert "kind='application'" in repr(err)
    again = pickle.loads(pickle.dumps(err))
    assert (again.kind, again.status, again.exception_type, again.message) == (
        K.APPLICATION,
        500,
        "MXInvalidEntityException",
        "Nope",
    )
    assert str(LeadSquaredError(K.UNREACHABLE)) == "LeadSquared unreachable"
    assert ErrorKind("rate_limited") is K.RATE_LIMITED
    assert K.AUTH == "auth"


# --------------------------------------------------------------------------- exceptions

URL = "https://api-in21.leadsquared.com/v2/LeadManagement.svc/Leads.GetByEmailaddress?emailaddress=p%40x.in"


def _max_retry(reason: Exception) -> MaxRetryError:
    return MaxRetryError(None, URL, reason)


def _exception_cases():
    refused = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    dns = NameResolutionError("api-in21.leadsquared.com", None, OSError("Name or service not known"))
    cert = Urllib3SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed"))
    return [
        (requests.exceptions.ConnectTimeout(_max_retry(ConnectTimeoutError(None, URL))), K.UNREACHABLE),
        (requests.exceptions.ConnectionError(_max_retry(refused)), K.UNREACHABLE),
        (requests.exceptions.ConnectionError(_max_retry(dns)), K.UNREACHABLE),
        (requests.exceptions.ConnectionError(_max_retry(ConnectTimeoutError(None, URL))), K.UNREACHABLE),
        (requests.exceptions.SSLError(_max_retry(cert)), K.UNREACHABLE),
        (requests.exceptions.ProxyError(_max_retry(OSError("proxy down"))), K.UNREACHABLE),
        (requests.exceptions.InvalidURL(URL), K.BAD_REQUEST),
        (requests.exceptions.MissingSchema(URL), K.BAD_REQUEST),
        (requests.exceptions.InvalidHeader("Invalid header value " + URL), K.BAD_REQUEST),
        (requests.exceptions.InvalidJSONError("Decimal is not JSON serializable"), K.BAD_REQUEST),
        (requests.exceptions.ReadTimeout(ReadTimeoutError(None, URL, "Read timed out.")), K.AMBIGUOUS),
        # a read timeout while reading the body comes out as ConnectionError
        (requests.exceptions.ConnectionError(ReadTimeoutError(None, URL, "Read timed out.")), K.AMBIGUOUS),
        (
            requests.exceptions.ConnectionError(
                ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection"))
            ),
            K.AMBIGUOUS,
        ),
        (
            requests.exceptions.ConnectionError(
                ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
            ),
            K.AMBIGUOUS,
        ),
        (requests.exceptions.ChunkedEncodingError(ProtocolError("Connection broken: IncompleteRead")), K.AMBIGUOUS),
        (requests.exceptions.ContentDecodingError("bad gzip"), K.AMBIGUOUS),
        (requests.exceptions.SSLError(Urllib3SSLError(ssl.SSLError("EOF occurred"))), K.AMBIGUOUS),
        (requests.exceptions.ConnectionError(), K.AMBIGUOUS),
        (requests.exceptions.ConnectionError(OSError("something")), K.AMBIGUOUS),
        (requests.exceptions.RequestException("weird"), K.AMBIGUOUS),
        (requests.exceptions.RetryError(_max_retry(OSError("x"))), K.AMBIGUOUS),
        (ValueError("not even requests"), K.AMBIGUOUS),
    ]


@pytest.mark.parametrize(("exc", "kind"), _exception_cases(), ids=lambda v: type(v).__name__)
def test_classify_exception_table(exc, kind):
    err = classify_exception(exc)
    assert err.kind is kind
    assert err.status is None
    # requests puts the URL (with its query string) into str(exc); it must not travel on.
    for text in (str(err), repr(err), explain(err)):
        assert "leadsquared.com" not in text
        assert "emailaddress" not in text
    assert type(exc).__name__ in str(err)


def test_classify_exception_passes_leadsquared_errors_through():
    err = LeadSquaredError(K.AUTH, status=401)
    assert classify_exception(err) is err


# --------------------------------------------------------------------------- explain


def test_explain_auth_is_the_agreed_text():
    assert explain(classify_response(401, UNAUTH)) == AUTH_TEXT
    assert "Ask your LeadSquared admin" in AUTH_TEXT


def test_explain_application_quotes_leadsquared():
    text = explain(classify_response(500, NO_LEAD))
    assert text.startswith("LeadSquared said: Lead does not exist in the system.")
    assert "Check the lead" in text
    text = explain(classify_response(200, BAD_SKU))
    assert "LeadSquared said: Invalid Input! Parameter Name: ProductSku" in text
    text = explain(LeadSquaredError(K.APPLICATION, exception_type="MXOddException"))
    assert "MXOddException" in text


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        (K.BAD_REQUEST, "nothing was saved"),
        (K.NOT_FOUND, "host setting"),
        (K.RATE_LIMITED, "Wait a few seconds"),
        (K.UNREACHABLE, "nothing was sent"),
        (K.AMBIGUOUS, "can't tell whether the sale was saved"),
    ],
)
def test_explain_every_kind(kind, needle):
    text = explain(LeadSquaredError(kind, status=500, detail="internal detail"))
    assert needle in text
    assert "internal detail" not in text


def test_explain_bad_request_includes_message_when_given():
    text = explain(classify_response(400, BAD_SKU))
    assert "LeadSquared said: Invalid Input! Parameter Name: ProductSku." in text
