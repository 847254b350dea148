"""Opening the /logsale modal: shared by the slash command, the shortcuts, Edit & retry and
the App Home's button."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.model import RawSale
from bot.leadsquared.lookups import Lookups
from bot.slack_ui.modal import ModalContext, build_logsale_modal
from bot.slack_ui.users import UserDirectory

log = logging.getLogger(__name__)


def open_after_ack(forms: Executor, open_form: Callable[[], object]) -> None:
    """Run ``open_form`` (views.open and what follows it) on the forms pool once the listener
    has acked: Slack's answer waits for the listener to return (bot/app.py), and its trigger_id
    for views.open is good for 3 s. Never raises: a failure is logged, not lost in a Future
    nobody reads (or turned into an error answer after the ack)."""

    def run() -> None:
        try:
            open_form()
        except Exception:
            log.exception("opening the /logsale form failed")

    try:
        forms.submit(run)
    except RuntimeError:  # the pool is shut down: the process is stopping
        log.warning("the /logsale form was not opened: the process is stopping")


def open_logsale_modal(
    client: WebClient,
    users: UserDirectory,
    lookups: Lookups,
    *,
    trigger_id: str,
    user_id: str,
    prefill: RawSale,
    context: ModalContext,
    lead_label: str | None = None,
) -> bool:
    """views.open first (the trigger_id dies 3 s after the click), then fill in what
    needs users.info — the owner's email, the time zone — with views.update, then start
    the submission's lookups early (``lookups.prewarm``).
    Returns False when Slack refused to open it."""
    user = users.cached(user_id)
    if user is not None:
        prefill, context = _with_user(prefill, context, user)
    search = lookups.search_enabled
    try:
        opened = client.views_open(
            trigger_id=trigger_id,
            view=build_logsale_modal(prefill, context, lead_option_label=lead_label, search_enabled=search),
        )
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        return False
    if user is None:
        user = users.get(user_id)
        if user.email or user.tz:
            prefill, context = _with_user(prefill, context, user)
            view = opened.get("view") or {}
            try:
                client.views_update(
                    view_id=view.get("id"),
                    hash=view.get("hash"),
                    view=build_logsale_modal(prefill, context, lead_option_label=lead_label, search_enabled=search),
                )
            except SlackApiError as error:
                # hash_conflict: the user already changed the form; their typing wins.
                log.info("views.update skipped: %s", error.response.get("error"))
    lookups.prewarm(prefill)
    return True


def _with_user(prefill: RawSale, context: ModalContext, user) -> tuple[RawSale, ModalContext]:
    if not prefill.sales_owner and user.email:
        prefill = replace(prefill, sales_owner=user.email)
    context = replace(context, tz=context.tz or user.tz, locale=context.locale or user.locale)
    return prefill, context
