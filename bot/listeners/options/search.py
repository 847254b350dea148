"""Search as you type for the modal's lead and product fields (block_suggestion).

Answers within Slack's 3 seconds whatever LeadSquared does: the lookups run on the
lookup pool with a deadline (see bot.leadsquared.search); the request's thread waits no
longer than that. Leads read "First Last · email · phone" valued by ProspectId; products
"SKU · Name" valued by SKU; the typed text comes first when it can be used as is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_bolt import Ack, BoltContext
from slack_sdk.models.blocks import Option

from bot.leadsquared.search import Choice, typed_lead_choice, typed_product_choice
from bot.listeners.tools import tools_of

log = logging.getLogger(__name__)


def options_payload(choices: list[Choice]) -> list[dict]:
    return [Option(text=c.label, value=c.value).to_dict() for c in choices]


def handle_lead_options(ack: Ack, payload: dict, context: BoltContext) -> None:
    _answer(ack, payload, "lead", tools_of(context).lookups.lead_search.search, typed_lead_choice)


def handle_product_options(ack: Ack, payload: dict, context: BoltContext) -> None:
    _answer(ack, payload, "product", tools_of(context).lookups.product_search.search, typed_product_choice)


def _answer(
    ack: Ack,
    payload: dict,
    what: str,
    search: Callable[[str], list[Choice]],
    typed_choice: Callable[[str], Choice | None],
) -> None:
    typed = str(payload.get("value") or "")
    started = time.monotonic()
    try:
        choices = search(typed)
    except Exception:
        log.exception("%s search failed", what)
        fallback = typed_choice(typed)
        choices = [fallback] if fallback else []
    ack(options=options_payload(choices))
    log.debug("%s search answered %d options in %d ms", what, len(choices), (time.monotonic() - started) * 1000)
