"""GET /metrics (Prometheus text format) and GET /readyz, for the people who run LogSale.

/healthz stays liveness (the process answers); /readyz says whether this process can do its
work, i.e. reach the outbox database, and answers 503 while it can't. /metrics wants
``Authorization: Bearer $LOGSALE_METRICS_TOKEN`` when that is set.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bot import metrics, thread_names

log = logging.getLogger(__name__)

OPERATIONS_PATHS = ("/metrics", "/readyz")
READY_TIMEOUT = 3.0  # a database that hangs is as unready as one that refuses

_probe_pool = ThreadPoolExecutor(2, "logsale-readyz", thread_names.namer(thread_names.READYZ))


def serve(path: str, services, environ, start_response):
    if path == "/readyz":
        return _readyz(services, start_response)
    return _metrics(services, environ, start_response)


def _readyz(services, start_response):
    try:
        _probe_pool.submit(services.outbox.ping).result(timeout=READY_TIMEOUT)
    except FutureTimeout:
        return _text(start_response, "503 Service Unavailable", "database: no answer within 3 s\n")
    except Exception as error:
        log.warning("readyz: database unreachable (%s)", type(error).__name__)
        return _text(start_response, "503 Service Unavailable", f"database: unreachable ({type(error).__name__})\n")
    return _text(start_response, "200 OK", "ready\n")


def _metrics(services, environ, start_response):
    token = services.settings.metrics_token
    if token and not metrics.token_matches(environ.get("HTTP_AUTHORIZATION"), token):
        start_response(
            "401 Unauthorized",
            [("Content-Type", "text/plain; charset=utf-8"), ("WWW-Authenticate", 'Bearer realm="metrics"')],
        )
        return [b"Authorization: Bearer <LOGSALE_METRICS_TOKEN> required\n"]
    body, content_type = metrics.render(services.outbox, environ.get("HTTP_ACCEPT", ""))
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _text(start_response, status: str, text: str):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
