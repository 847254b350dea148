"""Edit & retry: reopen the modal with exactly what the salesperson typed."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.modal_opening import open_after_ack, open_logsale_modal
from bot.listeners.tools import tools_of
from bot.slack_ui import shapes
from bot.slack_ui.modal import ModalContext


def handle_edit_retry(
    ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    open_after_ack(tools_of(context).forms, lambda: _reopen(body, action, client, respond, context))


def _reopen(body: dict, action: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    tools = tools_of(context)
    user_id = (body.get("user") or {}).get("id", "")
    record = tools.outbox.get(shapes.sale_id(action))
    if record is None or record.user_id != user_id:
        respond(
            text="That sale isn't one of yours to edit.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    channel = body.get("channel")
    channel_id = shapes.channel_id(channel.get("id") if isinstance(channel, dict) else None) or record.channel_id
    # The click brings a fresh response_url (the slash command's may have expired).
    modal_context = ModalContext(
        channel_id=channel_id,
        response_url=shapes.response_url(body.get("response_url")) or record.response_url,
        tz=record.user_tz,
        locale=record.user_locale,
    )
    opened = open_logsale_modal(
        client,
        tools.users,
        tools.lookups,
        trigger_id=body.get("trigger_id", ""),
        user_id=user_id,
        prefill=record.raw,
        context=modal_context,
        lead_label=record.lead_label,
    )
    if not opened:
        respond(text="Slack didn't let me open the form in time. Please click again.", replace_original=False)
