"""Builds the Bolt App and registers the listeners. Nothing else happens here."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

from bot import bolt_fixes
from bot.access import AccessMiddleware
from bot.listeners import register_listeners
from bot.listeners.tools import ProvideTools
from bot.services import Services


class _TokenFromClient(logging.Filter):
    """App() reads SLACK_BOT_TOKEN from the environment even when given a client built from
    it, then warns that the token "will be unused". It is the same token: drop that one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_app(services: Services, *, signature_checked: bool = False) -> App:
    """``signature_checked``: every request reaches the app through a caller that has already
    checked Slack's signature and timestamp (bot/web.py), so Bolt's own check would only repeat it."""
    bolt_fixes.apply()
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _TokenFromClient) for f in bolt_logger.filters):
        bolt_logger.addFilter(_TokenFromClient())
    app = App(
        signing_secret=services.settings.slack_signing_secret,
        client=services.web_client,
        # auth.test on the first request instead of at import: start-up doesn't depend on Slack.
        token_verification_enabled=False,
        request_verification_enabled=not signature_checked,
        # Each listener runs on the thread that answers Slack, and Slack's answer is what the
        # listener acked once it returns. Every listener acks within its bounds and hands slow
        # work to a pool of ours (ListenerTools.after_ack, open_after_ack), so nothing waits on
        # Bolt's listener pool (5 threads shared by acks and slow work), and no request pays a
        # hand-off to it and back (bench/README.md, fourth round).
        process_before_response=True,
    )
    # Before any listener: who may use LogSale is decided here, for every kind of request.
    app.use(AccessMiddleware(services.access, services.background))
    # Then every listener finds what it uses in its `context` (bot/listeners/tools.py).
    app.use(ProvideTools(services.listener_tools()))
    register_listeners(app)
    return app
