"""Prometheus metrics: what the operator of LogSale watches (GET /metrics).

Counters and histograms are recorded where things happen, in whichever process does them;
under gunicorn, PROMETHEUS_MULTIPROC_DIR (set by bot/gunicorn_conf.py) makes every worker
write them to files that one scrape adds up. The queue itself (sales by state, the age of
the oldest unsent sale) is read from the database at scrape time, so it is the same
whichever worker answers and survives restarts.

Recording never raises: a metrics hiccup must not fail a sale.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from bot.domain.model import SaleState

log = logging.getLogger(__name__)

POSTS = Counter(
    "logsale_posts",
    "What became of each attempt to post a sale to LeadSquared",
    ["outcome", "error_kind"],  # outcome: posted | retry | failed | unknown
)
LEADSQUARED_CALLS = Histogram(
    "logsale_leadsquared_call_seconds",
    "LeadSquared API call latency (time on the wire, not waiting for the rate limiter)",
    ["operation", "outcome"],  # outcome: ok or the error kind
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30),
)
LIMITER_WAITS = Histogram(
    "logsale_rate_limiter_wait_seconds",
    "Time spent waiting for a slot of a shared rate limit",
    ["limiter", "result"],  # result: acquired | gave_up
    buckets=(0.001, 0.01, 0.05, 0.1, 0.3, 1, 2, 5, 10, 30, 60),
)
NOTIFICATION_FAILURES = Counter(
    "logsale_notification_failures",
    "Notifications given up: no route could reach Slack, or still undelivered at the horizon",
    ["what"],  # the notification's kind: posted | failed | delayed | undone
)
NOTIFICATION_RETRIES = Counter(
    "logsale_notification_retries",
    "Deliveries put off because Slack was down or busy (5xx, 429, no connection)",
    ["route"],  # thread | response_url | channel | dm
)
HOME_PUBLISHES = Counter(
    "logsale_home_publishes",
    "App Home views.publish calls",
    ["reason", "outcome"],  # reason: opened | refresh | action; outcome: ok | error
)

QUEUE_STATES = tuple(state.value for state in SaleState)


def _safely(record) -> None:
    try:
        record()
    except Exception:  # noqa: BLE001 - see the module docstring
        log.debug("metric not recorded", exc_info=True)


def count_post(outcome: str, error_kind: str | None = None) -> None:
    _safely(lambda: POSTS.labels(outcome, error_kind or "").inc())


def observe_leadsquared_call(operation: str, outcome: str, seconds: float) -> None:
    _safely(lambda: LEADSQUARED_CALLS.labels(operation, outcome).observe(seconds))


def observe_limiter_wait(limiter: str, acquired: bool, seconds: float) -> None:
    _safely(lambda: LIMITER_WAITS.labels(limiter, "acquired" if acquired else "gave_up").observe(seconds))


def count_notification_failure(what: str) -> None:
    _safely(lambda: NOTIFICATION_FAILURES.labels(what).inc())


def count_notification_retry(route: str) -> None:
    _safely(lambda: NOTIFICATION_RETRIES.labels(route).inc())


def count_home_publish(reason: str, ok: bool) -> None:
    _safely(lambda: HOME_PUBLISHES.labels(reason, "ok" if ok else "error").inc())


class QueueCollector:
    """Sales by state and the age of the oldest unsent sale, read from the outbox per scrape."""

    def __init__(self, outbox):
        self.outbox = outbox

    def collect(self):
        up = GaugeMetricFamily("logsale_database_up", "1 when the outbox database answered this scrape")
        try:
            counts = self.outbox.count_by_state()
            now = time.time()
            oldest_due = self.outbox.oldest_created_at(due_only=True, now=now)
            oldest_queued = self.outbox.oldest_created_at(due_only=False, now=now)
        except Exception as error:  # noqa: BLE001 - a scrape reports the outage instead of failing
            log.warning("metrics: database unreachable (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        by_state = GaugeMetricFamily("logsale_sales", "Sales in the outbox by state", labels=["state"])
        for state in sorted(set(QUEUE_STATES) | set(counts)):
            by_state.add_metric([state], counts.get(state, 0))
        yield by_state
        yield GaugeMetricFamily(
            "logsale_oldest_due_sale_age_seconds",
            "Seconds since the oldest sale that is due to be posted now was submitted (0: none)",
            value=now - oldest_due if oldest_due else 0,
        )
        yield GaugeMetricFamily(
            "logsale_oldest_queued_sale_age_seconds",
            "Seconds since the oldest sale not yet posted (due or backing off) was submitted (0: none)",
            value=now - oldest_queued if oldest_queued else 0,
        )


def render(outbox, accept: str = "") -> tuple[bytes, str]:
    """The scrape, in the format the scraper asks for (Accept): every process's counters
    (multiprocess mode) plus the queue read from the database, as one exposition."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counters = multiprocess.MultiProcessCollector(None)
    else:  # one process (Socket Mode, tests): its own default registry
        from prometheus_client import REGISTRY as counters
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Together(counters, QueueCollector(outbox)))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


class _Together:
    """Several collectors as one, so an OpenMetrics answer has a single # EOF."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def token_matches(header_value: str | None, token: str) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    if not header_value or not header_value.startswith("Bearer "):
        return False
    return hmac.compare_digest(header_value[len("Bearer ") :].strip().encode(), token.encode())
