"""/logsale: open the modal (pre-filled from a one-line entry), or help, or history."""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.domain.model import RawSale
from bot.domain.one_line import parse_one_line
from bot.listeners.modal_opening import open_after_ack, open_logsale_modal
from bot.listeners.tools import ListenerTools, tools_of
from bot.slack_ui import messages, shapes
from bot.slack_ui.modal import ModalContext

HELP = (
    "*/logsale* logs a sale in LeadSquared without leaving Slack.\n"
    "• `/logsale` — open the form.\n"
    "• `/logsale priya@acme.in SKU-PRO won 12000 yesterday 5pm` — open it already filled in; "
    "check it and press *Log sale*. Words can come in any order: the lead (email, phone or "
    "ProspectId), Open/Won/Lost, the revenue, the SKU and the date.\n"
    "• `/logsale history` — your last 10 sales and where each stands.\n"
    "• `/logsale help` — this message.\n"
    "Dates: empty = now, `yesterday 3.30pm`, `15.30`, `2 hours ago`, `2 days ago`, `last friday`, "
    "`26/11/2026 15:00`, `2026-11-26 15:00 +05:30`. Also `noon`, `midnight` (the one just past), "
    "`this morning` (09:00), `this afternoon` (14:00), `this evening` (18:00), `tonight` (20:00), "
    "`yesterday evening 7.30` (19:30) and `tomorrow 10am` up to a day ahead. "
    "They're read in your Slack time zone unless you add one (+05:30, EST; IST, CST, PST, BST and GST "
    "mean what your own zone or country calls them, otherwise I ask which). "
    "`11/12` is 12 Nov in an en-US Slack, 11 Dec otherwise. Anything I can't place is an error, never a guess. "
    "The channel sees each logged sale with its LeadSquared Id, and an Undo button."
)
log = logging.getLogger(__name__)

HISTORY_UNAVAILABLE = "I can't read your sales history just now (the database is busy). Please try again in a moment."


def handle_logsale_command(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    tools = tools_of(context)
    user_id = body.get("user_id", "")
    text = (body.get("text") or "").strip()
    word = text.lower()

    # Who may use /logsale was decided before this listener ran (bot/access.py).
    if word in ("help", "?", "-h", "--help"):
        ack(text=HELP)
        return
    if word == "history":
        try:
            # Bounded (outbox.ACK_DB_TIMEOUT): this runs inside the command's ack.
            records = tools.outbox.recent_for_user(user_id, limit=10)
        except Exception as error:
            log.warning("history unavailable: %s", type(error).__name__)
            ack(text=HISTORY_UNAVAILABLE)
            return
        ack(**messages.history_message(records, tools.messages_currency()))
        return
    ack()
    open_after_ack(tools.forms, lambda: _open_form(body, text, user_id, client, respond, tools))


def _open_form(body: dict, text: str, user_id: str, client: WebClient, respond: Respond, tools: ListenerTools) -> None:
    prefill = parse_one_line(text, tools.known_skus.all()) if text else RawSale()
    modal_context = ModalContext(
        channel_id=shapes.channel_id(body.get("channel_id")),
        response_url=shapes.response_url(body.get("response_url")),
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
    if not opened:
        respond(
            text="Slack didn't let me open the form in time. Please type /logsale again.",
            response_type="ephemeral",
        )
