"""The modal's submission: validate inside Slack's 3 seconds, store, ack.

Posting to LeadSquared happens later on the dispatcher's own threads. Every problem the
salesperson can fix is an inline error on its field; nothing invalid is ever queued.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from datetime import datetime, timezone

from slack_bolt import Ack, BoltContext

from bot.delivery.outbox import AlreadySending, MaybeStored, NotStored, Submission
from bot.domain.model import RawSale
from bot.domain.validation import validate_sale
from bot.leadsquared.errors import LeadSquaredError
from bot.leadsquared.leads import LeadNotResolved
from bot.leadsquared.search import OwnerVerdict, owner_error
from bot.listeners.tools import ListenerTools, tools_of
from bot.slack_ui.modal import ModalContext, read_raw_sale
from bot.slack_ui.users import ACK_PATH_WAIT

log = logging.getLogger(__name__)

# How long after the submission arrived the lookups may still be waited for. Slack allows 3 s,
# but under a burst a request also queues for a thread before it gets here: 1 s keeps the
# whole ack inside the window. Past it the lead is resolved in the background, and the owner
# is not checked (LeadSquared's Create refuses a bad owner; the salesperson gets Edit & retry).
# Usually both answers are cached already: the modal's opening looked them up (prewarm).
LOOKUP_BUDGET = 1.0

SAVE_FAILED = (
    "I couldn't save this sale just now, so nothing was sent. Press Log sale again in a moment; "
    "everything you typed is still here."
)
# The database didn't say whether it kept the sale. Pressing again is safe: the same form
# with the same content is stored once.
SAVE_UNCERTAIN = (
    "I couldn't confirm this sale was saved. Press Log sale again in a moment: "
    "if it was saved, it is still logged only once."
)
# The form was submitted before (Slack showed an error, but the sale was saved) and that
# sale is already on its way to LeadSquared with what was typed then.
ALREADY_SENDING = (
    "Your earlier press of Log sale was saved after all, and that sale is already being sent to "
    "LeadSquared as it was then. Close this form; if that sale is wrong, Undo it from the channel "
    "message and log it again."
)
# The database waits of the ack (all of them together) end this long after the submission
# arrived: with the request's queueing and Slack's round trip, the ack stays inside 3 s.
SAVE_DEADLINE = 2.0


def handle_logsale_submission(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    tools = tools_of(context)
    started = time.monotonic()
    user = body.get("user") or {}
    user_id = user.get("id") or ""
    # An org-wide (Enterprise Grid) install sends "team": null; the workspace is then only
    # in view.team_id (user.team_id holds the org's E… id there).
    team_id = (body.get("team") or {}).get("id") or view.get("team_id") or user.get("team_id") or ""
    modal_context = ModalContext.decode(view.get("private_metadata"))
    tz, locale = modal_context.tz, modal_context.locale
    raw = _with_what_was_shown(read_raw_sale(view), view)
    profile = None
    if (not tz or not raw.sales_owner.strip()) and user_id:
        # The modal opened before users.info answered (the cache usually has it by now), or
        # Slack sent the pre-filled owner back as null. One bounded call serves both.
        profile = tools.users.get(user_id, wait=ACK_PATH_WAIT)
    if not tz and profile is not None:
        tz, locale = profile.tz, locale or profile.locale
    tz = tz or "UTC"
    if not raw.sales_owner.strip() and profile is not None and profile.email:
        # Pre-filled from the profile when the form opened: the same email again.
        raw = replace(raw, sales_owner=profile.email)
    now = time.time()
    result = validate_sale(raw, tz=tz, locale=locale, now=datetime.fromtimestamp(now, timezone.utc))
    if not result.ok:
        ack(response_action="errors", errors=result.errors)
        return
    sale = result.sale
    # Is the owner an active LeadSquared user? Asked on the lookup pool while the lead is
    # resolved, so the two waits overlap.
    owner_check = tools.lookups.owner_check.start(sale.sales_owner_email)
    errors: dict[str, str] = {}
    lead = sale.lead
    if lead.prospect_id is None:
        # An email or phone: up to two lookups. Bounded as a whole; a late answer still
        # lands in the cache for the dispatcher and the next submission.
        lookup = tools.lookups.resolve_lead(lead.text)
        try:
            lead = lookup.result(timeout=max(0.0, LOOKUP_BUDGET - (time.monotonic() - started)))
        except LeadNotResolved as error:
            errors["lead"] = error.message
        except (LeadSquaredError, FutureTimeout) as error:
            # Slow or busy LeadSquared: don't make the salesperson wait; the
            # dispatcher resolves the lead and reports back if it can't.
            log.info("lead lookup deferred to the background: %s", getattr(error, "kind", "slow"))
    # Unknown or inactive -> inline error; slow or unreachable -> accepted unchecked.
    if owner_check.verdict(LOOKUP_BUDGET - (time.monotonic() - started)) is OwnerVerdict.UNKNOWN:
        errors["sales_owner"] = owner_error(sale.sales_owner_email)
    if errors:
        ack(response_action="errors", errors=errors)
        return

    view_key = f"{team_id}:{view.get('id')}"
    submission = Submission(
        submission_key=view_key,
        team_id=team_id,
        user_id=user_id,
        user_name=user.get("name") or user.get("username") or "",
        channel_id=modal_context.channel_id,
        response_url=modal_context.response_url,
        user_tz=tz,
        user_locale=locale,
        raw=raw,
        sale=replace(sale, lead=lead),
        created_at=now,
    )
    budget = max(0.3, SAVE_DEADLINE - (time.monotonic() - started))
    try:
        created = tools.outbox.store(submission, timeout=budget)
    except NotStored as error:
        log.warning(
            "could not store a submission, nothing stored (%.2f s into the ack, %.2f s allowed to save): %s",
            time.monotonic() - started,
            budget,
            error,
        )
        ack(response_action="errors", errors={"lead": SAVE_FAILED})
        return
    except MaybeStored as error:
        log.warning("could not confirm a submission was stored: %s", error)
        ack(response_action="errors", errors={"lead": SAVE_UNCERTAIN})
        return
    except AlreadySending as error:
        log.info("resubmission of %s with new content after sale %s was claimed", view_key, error.record.id)
        ack(response_action="errors", errors={"lead": ALREADY_SENDING})
        return
    except Exception:
        log.exception("could not store a submission")
        ack(response_action="errors", errors={"lead": SAVE_UNCERTAIN})
        return
    if created:
        tools.dispatcher.wake()  # posting starts with the first sale stored, not after the burst
    ack()
    if created:
        # Database work the form needn't wait for: the message shortcut's thread (at worst the
        # sale is announced outside it) and the Home showing the sale as queued.
        tools.after_ack(_after_storing, tools, view_key, modal_context.thread_ts, user_id)
    else:
        log.info("duplicate submission %s ignored (already queued)", view_key)


# Inputs Slack won't let anyone submit empty. One that arrives empty anyway was pre-filled and sent
# back as "value": null / "selected_option": null, as Slack has been seen doing after views.update
# (bolt-js#1258): the salesperson saw, and submitted, the form's initial value. (Not the optional
# date: empty there may mean they cleared it.)
_REQUIRED_INPUTS = ("lead", "product_sku", "status", "revenue", "sales_owner")


def _with_what_was_shown(raw: RawSale, view: dict) -> RawSale:
    shown: dict[str, str] = {}
    for block in view.get("blocks") or []:
        if not isinstance(block, dict) or block.get("block_id") not in _REQUIRED_INPUTS:
            continue
        element = block.get("element") if isinstance(block.get("element"), dict) else {}
        option = element.get("initial_option")
        initial = option.get("value") if isinstance(option, dict) else element.get("initial_value")
        if isinstance(initial, str) and initial.strip() and not getattr(raw, block["block_id"]).strip():
            shown[block["block_id"]] = initial
    return replace(raw, **shown) if shown else raw


def _after_storing(tools: ListenerTools, submission_key: str, thread_ts: str | None, user_id: str) -> None:
    if thread_ts:
        try:
            tools.sale_threads.remember(submission_key, thread_ts)
        except Exception:
            log.exception("could not store the thread of submission %s", submission_key)
    tools.home.request_refresh(user_id)  # never raises
