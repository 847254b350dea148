"""Buttons on the App Home tab: Log a sale, Edit & retry, Undo, and the admins' Retry and
Mark resolved. A Home click brings no response_url and no channel: the outcome is shown on
the tab itself (a notice on top of the republished Home)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.delivery.outbox import SaleState
from bot.domain.model import RawSale
from bot.leadsquared.errors import LeadSquaredError, explain
from bot.listeners.modal_opening import open_after_ack, open_logsale_modal
from bot.listeners.tools import ListenerTools, tools_of
from bot.slack_ui import messages, shapes
from bot.slack_ui.home_publisher import HomePublisher
from bot.slack_ui.modal import ModalContext

log = logging.getLogger(__name__)


def _user_id(body: dict) -> str:
    return (body.get("user") or {}).get("id", "")


def _tell(home: HomePublisher, user_id: str, notice: str, detail: str | None = None) -> None:
    """``notice``: our own words (mrkdwn); ``detail``: literal text under it (plain_text)."""
    home.publish(user_id, reason="action", notice=notice, notice_detail=detail)


def handle_home_open(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    open_after_ack(tools_of(context).forms, lambda: _open_from_home(body, client, context))


def _open_from_home(body: dict, client: WebClient, context: BoltContext) -> None:
    tools = tools_of(context)
    opened = open_logsale_modal(
        client,
        tools.users,
        tools.lookups,
        trigger_id=body.get("trigger_id", ""),
        user_id=_user_id(body),
        prefill=RawSale(),
        context=ModalContext(),  # from the Home: no channel, confirmed by DM
    )
    if not opened:
        tools.after_ack(
            _tell, tools.home, _user_id(body), ":warning: Slack didn't let me open the form in time. Press it again."
        )


def handle_home_edit_retry(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    open_after_ack(tools_of(context).forms, lambda: _reopen_from_home(body, action, client, context))


def _reopen_from_home(body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    tools = tools_of(context)
    user_id = _user_id(body)
    record = tools.outbox.get(shapes.sale_id(action))
    if record is None or record.user_id != user_id:
        tools.after_ack(_tell, tools.home, user_id, "That sale isn't one of yours to edit.")
        return
    modal_context = ModalContext(
        channel_id=record.channel_id,
        response_url=record.response_url,
        tz=record.user_tz,
        locale=record.user_locale,
    )
    open_logsale_modal(
        client,
        tools.users,
        tools.lookups,
        trigger_id=body.get("trigger_id", ""),
        user_id=user_id,
        prefill=record.raw,
        context=modal_context,
        lead_label=record.lead_label,
    )


def handle_home_undo(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
    ack()
    tools = tools_of(context)
    tools.after_ack(_undo, tools, _user_id(body), shapes.sale_id(action))


def _undo(tools: ListenerTools, clicker_id: str, sale_id: int) -> None:
    # The same rules as Undo on the channel message (bot/listeners/actions/undo.py).
    try:
        record = tools.outbox.get(sale_id)
        clicker = tools.users.get(clicker_id)
        if record is None or (clicker_id != record.user_id and not tools.access.is_admin(clicker)):
            _tell(tools.home, clicker_id, "Only the person who logged that sale, or a LogSale admin, can undo it.")
            return
        if record.state is not SaleState.DONE:
            _tell(tools.home, clicker_id, "That sale isn't in LeadSquared (any more), so there is nothing to undo.")
            return
        who = clicker.name or clicker_id
        try:
            tools.leadsquared.cancel_sales_activity(
                record.leadsquared_id, note=messages.undo_note(record, who, clicker_id, tools.messages_currency())
            )
        except LeadSquaredError as error:
            _tell(tools.home, clicker_id, ":warning: I couldn't undo it:", explain(error))
            return
        tools.outbox.mark_cancelled(record.id, clicker_id)
        tools.home.request_refresh(record.user_id)
        _tell(tools.home, clicker_id, ":leftwards_arrow_with_hook: Sale undone: it is cancelled in LeadSquared.")
    except Exception:
        log.exception("home undo of sale %s failed", sale_id)


def handle_home_retry(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
    ack()
    tools = tools_of(context)
    tools.after_ack(_admin_action, tools, "retry", _user_id(body), shapes.sale_id(action))


def handle_home_resolve(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
    ack()
    tools = tools_of(context)
    tools.after_ack(_admin_action, tools, "resolve", _user_id(body), shapes.sale_id(action))


def _admin_action(tools: ListenerTools, what: str, admin_id: str, sale_id: int) -> None:
    """what: "retry" or "resolve"."""
    try:
        if not tools.access.is_admin(tools.users.get(admin_id)):
            _tell(tools.home, admin_id, "Only LogSale admins (LOGSALE_ADMINS) can do that.")
            return
        if what == "retry":
            record = tools.outbox.requeue(sale_id)
            if record is not None:
                tools.dispatcher.wake()
            done = f"Sale {sale_id} is queued again." + (
                " It may already be in LeadSquared, so it will be looked up before anything is posted."
                if record is not None and record.maybe_posted
                else ""
            )
        else:
            record = tools.outbox.mark_resolved(sale_id)
            done = f"Sale {sale_id} is marked resolved."
        if record is None:
            _tell(tools.home, admin_id, f"Sale {sale_id} no longer needs attention (someone else got to it first).")
            return
        log.info("sale %s: %s by admin %s", sale_id, what, admin_id)
        tools.home.request_refresh(record.user_id)
        _tell(tools.home, admin_id, done)
    except Exception:
        log.exception("home %s of sale %s failed", what, sale_id)
