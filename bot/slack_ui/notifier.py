"""Delivers the dispatcher's news to Slack, trying each route in turn.

The slash command's response_url works even where the bot is not a member, but it
expires after 30 minutes and 5 posts; then chat.postMessage to the channel, and
last a DM, so the salesperson always hears how the sale went.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.domain.outbox import SaleRecord
from bot.slack_ui import messages

log = logging.getLogger(__name__)


class SlackNotifier:
    def __init__(self, client: WebClient, *, timeout: int = 10):
        self.client = client
        self.timeout = timeout

    # --- SaleNotifier -------------------------------------------------------------

    def sale_posted(self, record: SaleRecord) -> None:
        self.announce(record, messages.posted_message(record))

    def sale_failed(self, record: SaleRecord) -> None:
        self.tell_submitter(record, messages.failed_message(record))

    def sale_delayed(self, record: SaleRecord) -> None:
        self.tell_submitter(record, messages.delayed_message(record))

    # --- routes ---------------------------------------------------------------------

    # Set by services: the thread a sale was logged from (message shortcut), if any.
    thread_of: Callable[[SaleRecord], str | None] | None = None

    def announce(self, record: SaleRecord, message: dict) -> str:
        """For the whole channel. Returns the route that worked."""
        # A response_url can't post into a thread (bolt-js#963), so a threaded sale goes first
        # through chat.postMessage with thread_ts, then down the usual routes.
        thread_ts = self._thread_ts(record)
        if (
            thread_ts
            and record.channel_id
            and self._call("chat_postMessage", channel=record.channel_id, thread_ts=thread_ts, **message)
        ):
            return "thread"
        if self._via_response_url(record.response_url, message, "in_channel"):
            return "response_url"
        if record.channel_id and self._call("chat_postMessage", channel=record.channel_id, **message):
            return "chat.postMessage"
        if self._dm(record.user_id, message):
            return "dm"
        log.error("sale %s: no route reached Slack for the announcement", record.id)
        metrics.count_notification_failure("announce")
        return "none"

    def tell_submitter(self, record: SaleRecord, message: dict) -> str:
        """For the submitter only (ephemeral), else a DM."""
        if self._via_response_url(record.response_url, message, "ephemeral"):
            return "response_url"
        if record.channel_id and self._call(
            "chat_postEphemeral", channel=record.channel_id, user=record.user_id, **message
        ):
            return "chat.postEphemeral"
        if self._dm(record.user_id, message):
            return "dm"
        log.error("sale %s: no route reached the submitter", record.id)
        metrics.count_notification_failure("tell_submitter")
        return "none"

    def _thread_ts(self, record: SaleRecord) -> str | None:
        if self.thread_of is None:
            return None
        try:
            return self.thread_of(record)
        except Exception as error:  # no thread known: announce the usual way
            log.warning("sale %s: thread lookup failed: %s", record.id, type(error).__name__)
            return None

    def _via_response_url(self, url: str | None, message: dict, response_type: str) -> bool:
        if not url:
            return False
        try:
            response = WebhookClient(url, timeout=self.timeout).send(
                text=message["text"], blocks=message.get("blocks"), response_type=response_type
            )
        except Exception as error:  # network trouble: fall through to the next route
            log.warning("response_url failed: %s", type(error).__name__)
            return False
        if response.status_code != 200:
            log.info("response_url refused (%s); trying the next route", response.status_code)
        return response.status_code == 200

    def _dm(self, user_id: str, message: dict) -> bool:
        try:
            channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        except (SlackApiError, KeyError, TypeError) as error:
            log.warning("conversations.open failed: %s", _slack_error(error))
            return False
        except Exception as error:
            log.warning("conversations.open failed: %s", type(error).__name__)
            return False
        return self._call("chat_postMessage", channel=channel, **message)

    def _call(self, method: str, **kwargs) -> bool:
        try:
            getattr(self.client, method)(**kwargs)
            return True
        except SlackApiError as error:
            log.info("%s failed: %s", method, _slack_error(error))
        except Exception as error:
            log.warning("%s failed: %s", method, type(error).__name__)
        return False


def _slack_error(error: Exception) -> str:
    response = getattr(error, "response", None)
    try:
        return str(response["error"])
    except Exception:
        return type(error).__name__
