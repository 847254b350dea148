"""Delivers what the salesperson must hear, from the database to Slack, whatever Slack does.

The dispatcher (and Undo) store each notification with the sale's outcome, in the same
transaction (``logsale_notifications``). This module's own threads, in every process, claim
due notifications with compare-and-set (so each is sent by one process) and try the routes
in turn:

- for a sale logged from a message (the message shortcut), its announcement first goes to that
  message's thread: ``chat.postMessage`` with ``thread_ts`` (a response_url ignores thread_ts,
  bolt-js#963); the thread is looked up in ``logsale_sale_threads`` when it is delivered;
- the command's ``response_url``: works even where the bot is not a member, but only 5 times
  within 30 minutes; uses are counted per URL across processes and notifications;
- ``chat.postMessage`` to the channel (``chat.postEphemeral`` for the submitter's notices,
  ``chat.update`` of the channel message for an Undo);
- a DM.

Two kinds of failure are told apart. "Slack is down" (HTTP 5xx, 429, a timeout, no connection,
``internal_error``/``ratelimited``/…): the same route is tried again later, with back-off
doubling from LOGSALE_NOTIFY_BACKOFF_SECONDS up to 60 s (or Slack's Retry-After). "This route
can't work" (``not_in_channel``, ``channel_not_found``, a response_url answering 404 or used
up or over 30 minutes old, …): the next route at once. A notification still undelivered after
LOGSALE_NOTIFY_HORIZON_SECONDS is given up ("expired") and logged as an error. Nothing here
runs on Bolt's listener threads.
"""

from __future__ import annotations

import logging
import random
import socket
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.delivery.outbox import (
    Notification,
    NotificationKind,
    NotificationState,
    Outbox,
    SaleRecord,
    SaleState,
)
from bot.delivery.workers import WorkerPool, process_id
from bot.leadsquared.currency import AccountCurrency
from bot.slack_ui import messages

log = logging.getLogger(__name__)

THREAD, RESPONSE_URL, CHANNEL, DM = "thread", "response_url", "channel", "dm"
ROUTES = (THREAD, RESPONSE_URL, CHANNEL, DM)
# Slack's limits are 30 minutes and 5 posts; a minute's margin for clocks and slow posts.
RESPONSE_URL_LIFETIME = 29 * 60
RESPONSE_URL_MAX_USES = 5
# Slack errors that mean "not now" rather than "not this way".
TRANSIENT_SLACK_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
MAX_BACKOFF = 60.0
# Our own exceptions (not Slack's answers) while delivering one notification, before giving up.
MAX_FAILURES = 3
IDLE_POLL = 1.0


@dataclass(frozen=True)
class Outcome:
    delivered: bool = False
    retry: bool = False  # Slack is down or busy: this route again, later
    reason: str = ""
    retry_after: float = 0.0


DELIVERED = Outcome(delivered=True)


def _next_route(reason: str) -> Outcome:
    return Outcome(reason=reason)


def _later(reason: str, retry_after: float = 0.0) -> Outcome:
    return Outcome(retry=True, reason=reason, retry_after=retry_after)


class SlackNotifier:
    def __init__(
        self,
        outbox: Outbox,
        client: WebClient,
        *,
        threads: int = 2,
        backoff_seconds: float = 2.0,
        horizon_seconds: float = 24 * 3600,
        lease_seconds: float = 90.0,
        timeout: int = 10,
    ):
        self.outbox = outbox
        # Give this client no rate-limit retry handler: a 429 is rescheduled, not slept through
        # while holding the notification's lease.
        self.client = client
        self.threads = threads
        self.backoff_seconds = backoff_seconds
        self.horizon_seconds = horizon_seconds
        self.lease_seconds = lease_seconds
        self.timeout = timeout
        self._pool = WorkerPool("notify", self.run_once, threads=threads, idle_poll=IDLE_POLL)
        self._id = process_id()
        # Set by services: the thread a sale was logged from (message shortcut), if any.
        self.thread_of: Callable[[SaleRecord], str | None] | None = None
        # Set by services: the account's currency for revenue (a cache; answers at once).
        self.currency: Callable[[], AccountCurrency | None] = lambda: None

    # --- lifecycle (the dispatcher starts and stops it with its own threads) ------------

    def start(self) -> None:
        self._pool.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._pool.stop(timeout)

    def wake(self) -> None:
        """A notification was stored in this process: don't wait for the next poll."""
        self._pool.wake()

    def run_once(self, worker_id: str | None = None) -> bool:
        """Claim and deliver one due notification. False when nothing was due."""
        notification = self.outbox.claim_next_notification(worker_id or self._id, lease_seconds=self.lease_seconds)
        if notification is None:
            return False
        self.deliver(notification)
        return True

    # --- one notification ------------------------------------------------------------------

    def deliver(self, n: Notification) -> None:
        record = self.outbox.get(n.sale_id)
        if record is None:
            self._expire(n, "its sale is gone")
            return
        if n.kind is NotificationKind.DELAYED and record.state not in (SaleState.PENDING, SaleState.POSTING):
            # "Queued" is no longer true: the outcome's own notification tells the rest.
            self.outbox.notification_finish(n, NotificationState.SUPERSEDED)
            return
        if time.time() - n.created_at > self.horizon_seconds:
            self._expire(n, f"still undelivered after {self.horizon_seconds / 3600:g} hours ({n.last_error})")
            return
        try:
            message = self._message(n, record)
            outcome, route, tried = self._try_routes(n, record, message)
        except Exception as error:
            log.exception("notification %s (sale %s, %s): unexpected error", n.id, n.sale_id, n.kind.value)
            failures = n.failures + 1
            reason = f"unexpected {type(error).__name__}"
            if failures >= MAX_FAILURES:
                self._expire(n, reason, failures=failures)
            else:
                self.outbox.notification_retry_later(
                    n, time.time() + self._backoff(n.attempts), failures=failures, last_error=reason
                )
            return
        if outcome.delivered:
            if self.outbox.notification_finish(
                n, NotificationState.DELIVERED, route=route, delivered_route=route, last_error=n.last_error
            ):
                log.info("sale %s: %s notice delivered by %s", n.sale_id, n.kind.value, route)
            else:
                log.warning("sale %s: %s notice delivered after its lease ran out", n.sale_id, n.kind.value)
        elif outcome.retry:
            wait = max(self._backoff(n.attempts), outcome.retry_after)
            metrics.count_notification_retry(route)
            log.info(
                "sale %s: %s notice: %s; trying %s again in %.1f s",
                n.sale_id,
                n.kind.value,
                outcome.reason,
                route,
                wait,
            )
            self.outbox.notification_retry_later(n, time.time() + wait, route=route, last_error=outcome.reason)
        else:
            self._expire(n, "no route could work: " + "; ".join(tried))

    def _try_routes(self, n: Notification, record: SaleRecord, message: dict) -> tuple[Outcome, str, list[str]]:
        start = ROUTES.index(n.route) if n.route in ROUTES else 0
        tried: list[str] = []
        outcome = _next_route("no route")
        route = n.route
        for route in ROUTES[start:]:
            if route == THREAD:
                thread_ts = self._thread_ts(n, record)
                if not thread_ts:
                    continue  # not a message-shortcut sale's announcement: the usual routes
                outcome = self._call(
                    self.client.chat_postMessage, channel=record.channel_id, thread_ts=thread_ts, **message
                )
            else:
                outcome = self._try(route, n, record, message)
            if outcome.delivered or outcome.retry:
                return outcome, route, tried
            tried.append(f"{route}: {outcome.reason}")
            log.info(
                "sale %s: %s notice can't go by %s (%s); next route", n.sale_id, n.kind.value, route, outcome.reason
            )
        return outcome, route, tried

    def _expire(self, n: Notification, reason: str, **changes) -> None:
        if self.outbox.notification_finish(n, NotificationState.EXPIRED, last_error=reason[:1000], **changes):
            metrics.count_notification_failure(n.kind.value)
            log.error("sale %s: gave up telling Slack (%s notice): %s", n.sale_id, n.kind.value, reason)

    def _backoff(self, attempts: int) -> float:
        """First back-off, doubling, capped at 60 s, jittered downwards so retries spread out."""
        base = min(MAX_BACKOFF, self.backoff_seconds * 2 ** max(0, attempts - 1))
        return base * random.uniform(0.8, 1.0)

    # --- what is said, and where ----------------------------------------------------------

    def _message(self, n: Notification, record: SaleRecord) -> dict:
        currency = self.currency()
        if n.kind is NotificationKind.POSTED:
            return messages.posted_message(record, currency)
        if n.kind is NotificationKind.FAILED:
            return messages.failed_message(record, currency)
        if n.kind is NotificationKind.DELAYED:
            return messages.delayed_message(record, currency)
        return messages.undone_message(record, str(n.extra.get("by") or record.cancelled_by or ""), currency)

    def _try(self, route: str, n: Notification, record: SaleRecord, message: dict) -> Outcome:
        for_channel = n.kind is NotificationKind.POSTED
        if route == RESPONSE_URL:
            if n.kind is NotificationKind.UNDONE:
                return self._via_response_url(n, message, replace_original=True)
            return self._via_response_url(n, message, response_type="in_channel" if for_channel else "ephemeral")
        if route == CHANNEL:
            if n.kind is NotificationKind.UNDONE:
                channel, ts = n.extra.get("channel_id"), n.extra.get("message_ts")
                if not channel or not ts:
                    return _next_route("no message to update")
                return self._call(self.client.chat_update, channel=channel, ts=ts, **message)
            if not record.channel_id:
                return _next_route("no channel")
            if for_channel:
                return self._call(self.client.chat_postMessage, channel=record.channel_id, **message)
            return self._call(self.client.chat_postEphemeral, channel=record.channel_id, user=record.user_id, **message)
        user_id = str(n.extra.get("by") or "") if n.kind is NotificationKind.UNDONE else record.user_id
        return self._dm(user_id, message)

    # --- routes -------------------------------------------------------------------------------

    def _thread_ts(self, n: Notification, record: SaleRecord) -> str | None:
        # Only the channel announcement goes to the thread; notices for the submitter alone
        # (delays, failures) and Undo's message edit keep their own routes.
        if n.kind is not NotificationKind.POSTED or not record.channel_id or self.thread_of is None:
            return None
        try:
            return self.thread_of(record)
        except Exception as error:  # the side table is unreachable: announce the usual way
            log.warning("sale %s: thread lookup failed: %s", record.id, type(error).__name__)
            return None

    def _via_response_url(self, n: Notification, message: dict, **how) -> Outcome:
        url = n.response_url
        if not url:
            return _next_route("no response_url")
        if n.response_url_issued_at is not None and time.time() - n.response_url_issued_at > RESPONSE_URL_LIFETIME:
            return _next_route("response_url older than 30 minutes")
        if not self.outbox.take_response_url_use(url, max_uses=RESPONSE_URL_MAX_USES):
            return _next_route("response_url used 5 times")
        try:
            response = WebhookClient(url, timeout=self.timeout).send(
                text=message["text"], blocks=message.get("blocks"), **how
            )
        except Exception as error:
            if _never_sent(error):
                self.outbox.give_back_response_url_use(url)
            return _later(f"response_url: {_describe(error)}")
        status = response.status_code
        if status == 200:
            return DELIVERED
        if status == 429 or status >= 500:
            self.outbox.give_back_response_url_use(url)
            return _later(f"response_url answered {status}", _retry_after(response.headers))
        # 404 expired_url / used_url / no_service, 400 …: this URL will never take it.
        return _next_route(f"response_url answered {status} {str(response.body or '')[:40]}".strip())

    def _dm(self, user_id: str, message: dict) -> Outcome:
        if not user_id:
            return _next_route("no user to DM")
        try:
            channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        except SlackApiError as error:
            return _classify_api_error("conversations.open", error)
        except (KeyError, TypeError):
            return _next_route("conversations.open gave no channel")
        except Exception as error:
            return _later(f"conversations.open: {_describe(error)}")
        return self._call(self.client.chat_postMessage, channel=channel, **message)

    def _call(self, call: Callable[..., object], **kwargs) -> Outcome:
        method = getattr(call, "__name__", "slack")
        try:
            call(**kwargs)
            return DELIVERED
        except SlackApiError as error:
            return _classify_api_error(method, error)
        except Exception as error:  # no connection, a timeout: Slack is unreachable, not refusing
            return _later(f"{method}: {_describe(error)}")


def _classify_api_error(method: str, error: SlackApiError) -> Outcome:
    response = error.response
    status = getattr(response, "status_code", 200) or 200
    try:
        code = str(response["error"])
    except Exception:
        code = ""
    reason = f"{method}: HTTP {status} {code[:60]}".strip()
    if status == 429 or status >= 500 or code in TRANSIENT_SLACK_ERRORS:
        return _later(reason, _retry_after(getattr(response, "headers", None) or {}))
    return _next_route(reason)


def _retry_after(headers) -> float:
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, min(float(value), 3600.0))
            except (TypeError, ValueError):
                return 0.0
    return 0.0


def _never_sent(error: Exception) -> bool:
    """The request never reached Slack (refused, DNS): it can't have used the response_url."""
    reason = getattr(error, "reason", error) if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def _describe(error: Exception) -> str:
    """A short cause for logs and the stored row: never the URL (a response_url is a credential)."""
    reason = getattr(error, "reason", None) if isinstance(error, urllib.error.URLError) else None
    return type(reason or error).__name__
