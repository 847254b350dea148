"""A worker that is told to stop (deploy, restart, scale down) finishes or hands back the
sales it is posting, so none of them waits out its lease.

The dispatcher is told to claim nothing more; then we watch the rows this process holds
("posting", claimed by it) until they are done or the wait is over. Any still held then —
a slow LeadSquared Create in flight — go back to "pending" with ``maybe_posted``: the next
process looks the activity up before it posts (Create is not idempotent), and it may try
as soon as the call we abandon could no longer be landing (LEADSQUARED_TIMEOUT), instead
of after the whole lease. Every move is the outbox's compare-and-set: if the Create
answers at the last moment, whichever write comes first wins and the other is refused.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from sqlalchemy import select

from bot.delivery.outbox import SaleRecord, SaleState, sales

log = logging.getLogger(__name__)
POLL = 0.1


def this_process_claims() -> str:
    """The claimed_by prefix of this process's dispatcher threads (see Dispatcher: host:pid:n)."""
    return f"{socket.gethostname()}:{os.getpid()}:"


def finish_or_hand_back(services, wait: float) -> int:
    """Stop the dispatcher; wait up to ``wait`` s for this process's sales in flight; hand
    back the rest. Returns how many were handed back."""
    services.dispatcher.stop(timeout=0)  # claim nothing more; the ones in flight go on
    outbox = services.outbox
    deadline = time.monotonic() + wait
    held = _held(outbox)
    while held and time.monotonic() < deadline:
        time.sleep(POLL)
        held = _held(outbox)
    handed_back = 0
    due = time.time() + services.settings.leadsquared_timeout
    for record in held:
        if outbox.retry_later(record, due, maybe_posted=True):
            handed_back += 1
            log.warning("sale %s: still being posted at shutdown; handed back to be looked up first", record.id)
    return handed_back


def _held(outbox) -> list[SaleRecord]:
    query = select(sales).where(
        sales.c.state == SaleState.POSTING.value, sales.c.claimed_by.startswith(this_process_claims(), autoescape=True)
    )
    with outbox.engine.connect() as conn:
        return [SaleRecord.from_row(row) for row in conn.execute(query)]
