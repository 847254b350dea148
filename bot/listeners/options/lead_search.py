"""The lead field's search as you type: LeadSquared leads by name, email or phone.

Answers within Slack's 3 seconds whatever LeadSquared does: the lookups run on the
services' lookup pool with a deadline (see bot.domain.search), never on Bolt's pool for
longer than that. Each option reads "First Last · email · phone" and is valued by the
ProspectId; the typed email/phone/ProspectId comes first so it can be used as is.
"""

from __future__ import annotations

import logging
import time

from slack_bolt import Ack
from slack_sdk.models.blocks import Option

from bot.domain.search import Choice, typed_lead_choice
from bot.services import Services

log = logging.getLogger(__name__)


def options_payload(choices: list[Choice]) -> list[dict]:
    return [Option(text=c.label, value=c.value).to_dict() for c in choices]


def make_lead_search(services: Services):
    def handle_lead_search(ack: Ack, payload: dict) -> None:
        typed = str(payload.get("value") or "")
        started = time.monotonic()
        try:
            choices = services.lead_search.search(typed)
        except Exception:
            log.exception("lead search failed")
            fallback = typed_lead_choice(typed)
            choices = [fallback] if fallback else []
        ack(options=options_payload(choices))
        log.debug("lead search answered %d options in %d ms", len(choices), (time.monotonic() - started) * 1000)

    return handle_lead_search
