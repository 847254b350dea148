"""The HTTP app: POST /slack/events (commands, interactivity, options), GET /healthz.

Whatever arrives, a malformed request gets a 4xx, never a 5xx: a body too big (413), cut
short or too slow to arrive (400/408), not UTF-8 (400), a timestamp that isn't a number
(401), a bad signature (401), then a payload whose shape Slack never sends (400, see
bot.request_shape) — all before Bolt, whose own middleware would crash on such a payload.
"""

from __future__ import annotations

import io
import logging
import re

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot import bolt_fixes
from bot import operations_http as operations
from bot.app import build_app
from bot.config import Settings
from bot.logging_setup import configure_logging
from bot.operations_http import OPERATIONS_PATHS
from bot.request_shape import shape_problem
from bot.services import Services

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
# Slack's biggest payloads (a 100-block view with its state) are a few hundred KB.
MAX_BODY = 2 * 1024 * 1024
# Unix seconds: Slack's X-Slack-Request-Timestamp. A longer number can't be within 5 minutes.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def create_wsgi_app(settings: Settings, *, start_dispatcher: bool = True) -> WsgiApp:
    configure_logging(settings.log_level, settings.secrets)
    services = Services.build(settings, start_dispatcher=start_dispatcher)
    slack_handler = SlackRequestHandler(build_app(services, signature_checked=True), path=SLACK_PATH)
    verifier = SignatureVerifier(settings.slack_signing_secret)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if path in OPERATIONS_PATHS and method in ("GET", "HEAD"):
            return operations.serve(path, services, environ, start_response)
        if path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "POST only", [("Allow", "POST")])
            return _slack_request(environ, start_response, slack_handler, verifier)
        return _plain(start_response, "404 Not Found", "Not Found")

    return WsgiApp(services, application)


class WsgiApp:
    """What gunicorn serves, with the services it runs on: gunicorn's ``worker_exit`` hands
    their sales in flight back through ``services`` (bot/gunicorn_conf.py)."""

    def __init__(self, services: Services, handle):
        self.services = services
        self._handle = handle

    def __call__(self, environ, start_response):
        return self._handle(environ, start_response)


def _slack_request(environ, start_response, slack_handler, verifier):
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        if environ.get("HTTP_TRANSFER_ENCODING"):
            return _plain(start_response, "411 Length Required", "Content-Length required")
        length = "0"
    size = int(length)
    if size > MAX_BODY:
        return _plain(start_response, "413 Content Too Large", "Request body too large")
    try:
        raw = environ["wsgi.input"].read(size) if size else b""
    except (OSError, ValueError) as error:  # a socket timeout (see gunicorn_conf) or a reset
        log.info("request body not read: %s", type(error).__name__)
        return _plain(start_response, "408 Request Timeout", "Request body not received in time")
    if len(raw) != size:
        # A client that stalled, or a bound of ours (bot/gunicorn_worker.py) that was too tight.
        cut_by = getattr(environ.get("gunicorn.socket"), "cut_reason", "") or "the client closed"
        log.warning("request body cut short: %d of %d bytes (%s)", len(raw), size, cut_by)
        return _plain(start_response, "400 Bad Request", "Request body shorter than its Content-Length")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _plain(start_response, "400 Bad Request", "Request body is not UTF-8")
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or ""
    signature = environ.get("HTTP_X_SLACK_SIGNATURE") or ""
    # Checked here, before anything reads the payload; the only check (build_app signature_checked).
    if not _TIMESTAMP.fullmatch(timestamp) or not verifier.is_valid(raw, timestamp, signature):
        return _plain(start_response, "401 Unauthorized", "Invalid request signature")
    problem = shape_problem(bolt_fixes.parse_for_bolt(text, environ.get("CONTENT_TYPE")))
    if problem:
        return _plain(start_response, "400 Bad Request", f"Bad request: {problem}")
    environ = {**environ, "wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(size)}
    try:
        return slack_handler(environ, start_response)
    except Exception as error:
        # Bolt dispatch catches what listeners raise (and answers 500 for a bug of ours);
        # what escapes is its parsing of the request itself: a body it can't read.
        log.warning("unreadable Slack request: %s", type(error).__name__)
        return _plain(start_response, "400 Bad Request", "Unreadable request")


def _plain(start_response, status: str, text: str, headers: list | None = None):
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), *(headers or [])])
    return [text.encode() + b"\n"]
