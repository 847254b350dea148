"""The product field's search as you type: SalesActivity.svc/RetrieveProducts, valued by SKU."""

from __future__ import annotations

import logging
import time

from slack_bolt import Ack

from bot.domain.search import typed_product_choice
from bot.listeners.options.lead_search import options_payload
from bot.services import Services

log = logging.getLogger(__name__)


def make_product_search(services: Services):
    def handle_product_search(ack: Ack, payload: dict) -> None:
        typed = str(payload.get("value") or "")
        started = time.monotonic()
        try:
            choices = services.product_search.search(typed)
        except Exception:
            log.exception("product search failed")
            fallback = typed_product_choice(typed)
            choices = [fallback] if fallback else []
        ack(options=options_payload(choices))
        log.debug("product search answered %d options in %d ms", len(choices), (time.monotonic() - started) * 1000)

    return handle_product_search
