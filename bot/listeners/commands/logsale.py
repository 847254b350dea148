"""/logsale: open the modal (pre-filled from a one-line entry), or help, or history."""

from __future__ import annotations

import logging

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.domain.model import RawSale
from bot.domain.one_line import parse_one_line
from bot.listeners.modal_opening import open_logsale_modal
from bot.services import Services
from bot.slack_ui import messages
from bot.slack_ui.modal import ModalContext
from bot.slack_ui.users import SlackUser

HELP = (
    "*/logsale* logs a sale in LeadSquared without leaving Slack.\n"
    "• `/logsale` — open the form.\n"
    "• `/logsale priya@acme.in SKU-PRO won 12000 yesterday 5pm` — open it already filled in; "
    "check it and press *Log sale*. Words can come in any order: the lead (email, phone or "
    "ProspectId), Open/Won/Lost, the revenue, the SKU and the date.\n"
    "• `/logsale history` — your last 10 sales and where each stands.\n"
    "• `/logsale help` — this message.\n"
    "Dates: empty = now, `yesterday 5pm`, `last friday`, `3pm`, `26/11/2026 15:00`, `2026-11-26 15:00 IST`. "
    "They're read in your Slack time zone unless you add one (IST, EST, +05:30). "
    "The channel sees each logged sale with its LeadSquared Id, and an Undo button."
)
log = logging.getLogger(__name__)

HISTORY_UNAVAILABLE = "I can't read your sales history just now (the database is busy). Please try again in a moment."
NOT_ALLOWED = (
    "Sorry, you're not on the list of people who can log sales with /logsale. "
    "Ask your Slack admin to add you to LOGSALE_ALLOWED_USERS."
)


def make_logsale_command(services: Services):
    def handle_logsale_command(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        user_id = body.get("user_id", "")
        text = (body.get("text") or "").strip()
        word = text.lower()
        allowed_names = services.settings.allowed_users

        if word in ("help", "?", "-h", "--help"):
            ack(text=HELP)
            return
        # Decide who may log from the ID alone when we can; an email entry needs users.info,
        # which is I/O: do it after the ack.
        needs_profile = services.needs_profile_for(user_id, allowed_names)
        if not needs_profile and not services.is_allowed(SlackUser(user_id)):
            ack(text=NOT_ALLOWED)
            return
        if word == "history":
            try:
                # Bounded (outbox.ACK_DB_TIMEOUT): this runs inside the command's ack.
                records = services.outbox.recent_for_user(user_id, limit=10)
            except Exception as error:
                log.warning("history unavailable: %s", type(error).__name__)
                ack(text=HISTORY_UNAVAILABLE)
                return
            ack(**messages.history_message(records))
            return
        ack()
        if needs_profile and not services.is_allowed(services.users.get(user_id)):
            respond(text=NOT_ALLOWED, response_type="ephemeral")
            return
        prefill = parse_one_line(text, services.known_skus()) if text else RawSale()
        context = ModalContext(channel_id=body.get("channel_id"), response_url=body.get("response_url"))
        opened = open_logsale_modal(
            services,
            client,
            trigger_id=body.get("trigger_id", ""),
            user_id=user_id,
            prefill=prefill,
            context=context,
        )
        if not opened:
            respond(
                text="Slack didn't let me open the form in time. Please type /logsale again.",
                response_type="ephemeral",
            )

    return handle_logsale_command
