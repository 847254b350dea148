"""The shortcuts menu: "Log a sale" (global) and "Log a sale from this message".

A global shortcut comes from no conversation, so the sale is confirmed by DM (the notifier's
last route, taken when a sale has no channel and no response_url). A message shortcut opens
the form filled in from the message by the one-line reader, and its confirmation replies in
that message's thread.
"""

from __future__ import annotations

import html
import logging
import re

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.domain.model import RawSale
from bot.domain.one_line import parse_one_line
from bot.listeners.modal_opening import open_after_ack, open_logsale_modal
from bot.listeners.tools import tools_of
from bot.slack_ui import shapes
from bot.slack_ui.modal import ModalContext

log = logging.getLogger(__name__)

GLOBAL_SHORTCUT = "logsale_shortcut"
MESSAGE_SHORTCUT = "logsale_from_message"

# Slack's markup in message text: <mailto:a@b.in|a@b.in>, <tel:+91…|+91…>, <https://…|label>,
# <https://…>, <@U123>, <#C123|sales>, <!here>.
_LINK_RE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def plain_text_of_message(text: str) -> str:
    """What the message says as its author typed it: links shown by their label, emails and
    phone numbers as written, mentions dropped, Slack's &amp;/&lt;/&gt; undone."""

    def shown(match: re.Match) -> str:
        target, label = match[1], match[2]
        if target[:1] in ("@", "#", "!"):
            return " "
        if label:
            return label
        return re.sub(r"^(mailto|tel):", "", target)

    return html.unescape(_LINK_RE.sub(shown, text or ""))


def handle_global_shortcut(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    open_after_ack(tools_of(context).forms, lambda: _open_from_global_shortcut(body, client, context))


def _open_from_global_shortcut(body: dict, client: WebClient, context: BoltContext) -> None:
    tools = tools_of(context)
    user_id = (body.get("user") or {}).get("id", "")
    opened = open_logsale_modal(
        client,
        tools.users,
        tools.lookups,
        trigger_id=body.get("trigger_id", ""),
        user_id=user_id,
        prefill=RawSale(),
        context=ModalContext(),  # no conversation: confirmed by DM
    )
    if not opened:
        log.info("global shortcut: Slack didn't open the form for %s", user_id)


def handle_message_shortcut(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    open_after_ack(tools_of(context).forms, lambda: _open_from_message(body, client, context))


def _open_from_message(body: dict, client: WebClient, context: BoltContext) -> None:
    tools = tools_of(context)
    user_id = (body.get("user") or {}).get("id", "")
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    text = plain_text_of_message(str(message.get("text") or ""))
    prefill = parse_one_line(text, tools.known_skus.all()) if text.strip() else RawSale()
    # A reply inside a thread belongs in that thread; a top-level message starts one.
    thread_ts = message.get("thread_ts") or message.get("ts") or body.get("message_ts")
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    # Read by shape (bot/slack_ui/shapes.py), like every other value Slack hands back.
    response_url = shapes.response_url(body.get("response_url"))
    modal_context = ModalContext(
        channel_id=shapes.channel_id(channel.get("id")),
        response_url=response_url,
        thread_ts=shapes.message_ts(thread_ts),
    )
    opened = open_logsale_modal(
        client,
        tools.users,
        tools.lookups,
        trigger_id=body.get("trigger_id", ""),
        user_id=user_id,
        prefill=prefill,
        context=modal_context,
    )
    if not opened and response_url:
        try:
            WebhookClient(response_url, timeout=5).send(
                text="Slack didn't let me open the form in time. Please use the shortcut again.",
                response_type="ephemeral",
            )
        except Exception as error:
            log.info("message shortcut: couldn't say the form failed: %s", type(error).__name__)
