"""Undo: cancel the activity in LeadSquared and say so in the channel message.

Only the person who logged the sale, or a LOGSALE_ADMINS user, may undo it. The
LeadSquared call runs on the background pool after the ack, never inside it; the edit of
the channel message is a stored notification (see bot/slack_ui/notifier.py).
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.delivery.outbox import SaleState
from bot.leadsquared.errors import LeadSquaredError, explain
from bot.listeners.tools import ListenerTools, tools_of
from bot.slack_ui import messages, shapes

log = logging.getLogger(__name__)


def handle_undo(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    tools = tools_of(context)
    tools.after_ack(_undo, tools, body, shapes.sale_id(action), client, respond)


def _undo(tools: ListenerTools, body: dict, sale_id: int, client: WebClient, respond: Respond) -> None:
    try:
        clicker_id = (body.get("user") or {}).get("id", "")
        record = tools.outbox.get(sale_id)
        if record is None:
            respond(text="I can't find that sale any more.", response_type="ephemeral", replace_original=False)
            return
        clicker = tools.users.get(clicker_id)
        if clicker_id != record.user_id and not tools.access.is_admin(clicker):
            respond(
                text=f"Only <@{record.user_id}> or a LogSale admin can undo this sale.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        if record.state is not SaleState.DONE:
            respond(text="This sale was already undone.", response_type="ephemeral", replace_original=False)
            return
        who = clicker.name or clicker_id
        try:
            tools.leadsquared.cancel_sales_activity(
                record.leadsquared_id, note=messages.undo_note(record, who, clicker_id, tools.messages_currency())
            )
        except LeadSquaredError as error:
            respond(response_type="ephemeral", replace_original=False, **messages.undo_failed_message(explain(error)))
            return
        container = body.get("container") or {}
        # The message edit is stored with the cancellation and delivered by the notifier's
        # threads (click's response_url -> chat.update -> DM), so a Slack outage delays it only.
        edit = {
            "by": clicker_id,
            "channel_id": container.get("channel_id") or (body.get("channel") or {}).get("id"),
            "message_ts": container.get("message_ts"),
        }
        if not tools.outbox.mark_cancelled(
            record.id, clicker_id, notify_extra=edit, response_url=body.get("response_url")
        ):
            return  # a second click got here first; it updates the message
        tools.dispatcher.notifier.wake()
        tools.home.request_refresh(record.user_id)
    except Exception:
        log.exception("undo of sale %s failed", sale_id)
        respond(text="Something went wrong while undoing; please try again.", replace_original=False)
