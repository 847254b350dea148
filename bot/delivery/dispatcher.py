"""Posts queued sales to LeadSquared, off Slack's request threads.

Each process runs a few dispatcher threads. They claim rows from the shared outbox
(so each sale is posted by exactly one of them), take a slot from the shared rate
limiter, and post. What happens after an error is decided here, in one place:

- rate limited / could not connect: nothing reached LeadSquared; retry with back-off
  (5 s, doubling, capped at 60 s) until the horizon; tell the salesperson once.
- ambiguous (timeout after sending, dropped connection, bare 5xx, a crash mid-post):
  the activity may exist; next time look it up (RetrieveByLeadId) before posting again.
- anything else (MX application errors, 400, 401, 404, an unknown lead): permanent;
  explain it, offer Edit & retry.
- an unexpected exception (a bug, a value the database refuses): tried again twice after a
  short pause, then the sale is failed with error_kind "internal" (or "unknown" when the
  Create may have gone out) and the submitter is told in plain words: never left "posting".

What the salesperson is told is stored with the outcome, in the same transaction
(logsale_notifications), and delivered by the notifier's own threads, which retry through
Slack outages; this module only wakes them. After each state change it also calls
``on_state_change`` (services set it to refresh the owner's App Home) and counts the outcome
for /metrics (bot/metrics.py).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Protocol

from bot import metrics
from bot.delivery.outbox import DuplicateActivity, NotificationKind, Outbox, SaleRecord, SaleState, sale_columns
from bot.delivery.workers import WorkerPool, process_id
from bot.domain.explanations import explain_gave_up
from bot.domain.validation import recheck_sale
from bot.leadsquared.client import LeadSquaredClient, find_matching_activity, sale_body
from bot.leadsquared.errors import ErrorKind, LeadSquaredError, explain, explain_delay
from bot.leadsquared.leads import LeadNotResolved, resolve_lead

log = logging.getLogger(__name__)

FIRST_BACKOFF = 5.0
MAX_BACKOFF = 60.0
IDLE_POLL = 1.0
# An unexpected exception: this many tries in all, the pause doubling from INTERNAL_RETRY_SECONDS.
INTERNAL_ATTEMPTS = 3
INTERNAL_RETRY_SECONDS = 1.0


class SaleNotifier(Protocol):
    """Delivers the stored notifications (Slack lives behind this), on its own threads."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def wake(self) -> None: ...


def backoff_seconds(transient_failures: int) -> float:
    """5, 10, 20, 40, 60, 60 … with a little jitter downwards, so retries spread out."""
    base = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, transient_failures - 1))
    return base * random.uniform(0.8, 1.0)


class Dispatcher:
    def __init__(
        self,
        outbox: Outbox,
        client: LeadSquaredClient,
        notifier: SaleNotifier,
        *,
        threads: int = 4,
        lease_seconds: float = 60.0,
        retry_horizon_seconds: float = 24 * 3600,
        rate_limiter=None,
        internal_retry_seconds: float = INTERNAL_RETRY_SECONDS,
    ):
        self.outbox = outbox
        self.client = client
        self.notifier = notifier
        self.threads = threads
        self.lease_seconds = lease_seconds
        self.retry_horizon_seconds = retry_horizon_seconds
        self.rate_limiter = rate_limiter
        self.internal_retry_seconds = internal_retry_seconds
        self._pool = WorkerPool("dispatch", self.run_once, threads=threads, idle_poll=IDLE_POLL)
        self._stop = self._pool.stopping  # an internal retry's pause ends when the pool stops
        self._id = process_id()
        # Called with the sale after each state change (posted, failed, unknown, back in the
        # queue after an error). Set by services to ask for a refresh of the owner's App Home
        # (coalesced, any process); never allowed to disturb the sale itself.
        self.on_state_change: Callable[[SaleRecord], None] | None = None

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        if self._pool.running:
            return
        self.notifier.start()
        self._pool.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._pool.stop(timeout)
        self.notifier.stop(timeout)

    def wake(self) -> None:
        """A new sale was queued in this process: don't wait for the next poll."""
        self._pool.wake()

    # --- one sale ----------------------------------------------------------------

    def run_once(self, worker_id: str | None = None) -> bool:
        """Claim and process one due sale. False when nothing was due."""
        record = self.outbox.claim_next(worker_id or self._id, lease_seconds=self.lease_seconds)
        if record is None:
            return False
        self.process(record)
        return True

    def process(self, record: SaleRecord) -> None:
        """Post one claimed sale; whatever happens, it ends in a state the submitter hears of
        (or back in the queue, or with another worker)."""
        for attempt in range(1, INTERNAL_ATTEMPTS + 1):
            progress = _Progress()
            try:
                self._attempt(record, progress)
                return
            except Exception:
                log.exception("sale %s: unexpected error (try %d of %d)", record.id, attempt, INTERNAL_ATTEMPTS)
            current = self.outbox.get(record.id)
            if current is None or current.state is not SaleState.POSTING or current.claimed_by != record.claimed_by:
                return  # it moved on (another worker, or the outcome was stored before the error)
            if progress.sending_create and not current.maybe_posted:
                # The error came after the Create went out: look it up before posting again.
                current = self.outbox.update_owned(current, maybe_posted=True)
                if current is None:
                    return
            record = current
            if attempt < INTERNAL_ATTEMPTS:
                if self._stop.wait(self.internal_retry_seconds * 2 ** (attempt - 1)):
                    # Shutting down: hand it to the next process now rather than fail it here.
                    if self.outbox.retry_later(record, time.time()):
                        self._state_changed(record.id)
                    return
                renewed = self.outbox.extend_lease(record, lease_seconds=self.lease_seconds)
                if renewed is None:
                    return
                record = renewed
        self._give_up(record)

    def _give_up(self, record: SaleRecord) -> None:
        """An error we didn't foresee, three times over: say so rather than retry forever."""
        state = SaleState.UNKNOWN if record.maybe_posted else SaleState.FAILED
        message = explain_gave_up(maybe_posted=record.maybe_posted, attempts=INTERNAL_ATTEMPTS)
        if self.outbox.finish(record, state, notify=NotificationKind.FAILED, error_kind="internal", last_error=message):
            log.error(
                "sale %s: gave up after %d unexpected errors; marked %s", record.id, INTERNAL_ATTEMPTS, state.value
            )
            metrics.count_post(state.value, "internal")
            self.notifier.wake()
            self._state_changed(record.id)

    def _attempt(self, record: SaleRecord, progress: _Progress) -> None:
        # The validated sale as stored by the ack: what the messages show is what is sent.
        sale = record.sale
        if sale is None:
            self._fail(
                record, "invalid", "The sale wasn't sent to LeadSquared: its stored values don't read as a sale."
            )
            return
        # The one validator again, as of the moment it was typed: nothing the ack would refuse is sent.
        problems = recheck_sale(sale, now=datetime.fromtimestamp(record.created_at, timezone.utc))
        if problems:
            self._fail(record, "invalid", "The sale wasn't sent to LeadSquared: " + " ".join(problems.values()))
            return
        sending_create = False
        try:
            prospect_id, label = record.prospect_id, record.lead_label
            if prospect_id is None:
                record = self._keep(record)
                lead = resolve_lead(sale.lead.text, self.client)
                prospect_id, label = lead.prospect_id, lead.label
                resolved = replace(sale, lead=replace(sale.lead, prospect_id=prospect_id, label=label))
                record = self._owned(record, **sale_columns(resolved))
            body = sale_body(sale, prospect_id)
            if record.maybe_posted:
                # An earlier attempt may have created it: adopt it rather than doubling the sale.
                record = self._keep(record)
                activities = self.client.retrieve_sales_activities_by_lead(prospect_id)
                owned = self.outbox.leadsquared_ids_for_lead(prospect_id, other_than=record.id)
                existing = find_matching_activity(activities, body, exclude=owned)
                if existing:
                    log.info("sale %s: adopted existing activity after an ambiguous attempt", record.id)
                    self._done(record, existing)
                    return
            record = self._keep(record)
            sending_create = progress.sending_create = True
            activity_id = self.client.create_sales_activity(body)
            self._done(record, activity_id)
        except _LostOwnership:
            log.warning("sale %s: another worker took it over; leaving it to them", record.id)
        except LeadNotResolved as error:
            self._fail(record, "lead", error.message)
        except LeadSquaredError as error:
            self._handle_leadsquared_error(record, error, sending_create)

    def _handle_leadsquared_error(self, record: SaleRecord, error: LeadSquaredError, sending_create: bool) -> None:
        explanation = explain(error)
        if not (error.retryable or error.ambiguous):
            self._fail(record, error.kind.value, explanation)
            return
        if error.kind is ErrorKind.RATE_LIMITED and error.status is not None and self.rate_limiter is not None:
            # LeadSquared itself refused (another integration shares the account): pause everyone.
            self.rate_limiter.saturate()
        maybe_posted = record.maybe_posted or (error.ambiguous and sending_create)
        now = time.time()
        if now - record.created_at > self.retry_horizon_seconds:
            state = SaleState.UNKNOWN if maybe_posted else SaleState.FAILED
            final = f"{explanation} I kept trying for {self.retry_horizon_seconds / 3600:g} hours and gave up." + (
                " The sale may or may not be in LeadSquared: check the lead's activities before logging it again."
                if maybe_posted
                else ""
            )
            if self.outbox.finish(
                record, state, notify=NotificationKind.FAILED, error_kind=error.kind.value, last_error=final
            ):
                metrics.count_post(state.value, error.kind.value)
                self.notifier.wake()
                self._state_changed(record.id)
            return
        failures = record.attempts
        at = now + backoff_seconds(failures)
        log.info("sale %s: %s; retrying in %.0f s", record.id, error.kind.value, at - now)
        delay_text = explain_delay(error)
        metrics.count_post("retry", error.kind.value)
        if not self.outbox.retry_later(
            record, at, maybe_posted=maybe_posted, error_kind=error.kind.value, last_error=delay_text
        ):
            return
        if self.outbox.mark_delay_notified(record.id, notify=True):
            self.notifier.wake()
        self._state_changed(record.id)  # the Home shows it waiting, and why

    # --- helpers -------------------------------------------------------------------

    def _keep(self, record: SaleRecord) -> SaleRecord:
        """Renew the lease before each LeadSquared call (each may wait for the limiter)."""
        renewed = self.outbox.extend_lease(record, lease_seconds=self.lease_seconds)
        if renewed is None:
            raise _LostOwnership
        return renewed

    def _owned(self, record: SaleRecord, **changes) -> SaleRecord:
        updated = self.outbox.update_owned(record, **changes)
        if updated is None:
            raise _LostOwnership
        return updated

    def _done(self, record: SaleRecord, activity_id: str) -> None:
        try:
            finished = self.outbox.finish(
                record,
                SaleState.DONE,
                notify=NotificationKind.POSTED,
                leadsquared_id=activity_id,
                error_kind=None,
                last_error=None,
            )
        except DuplicateActivity:
            # A twin sale adopted this activity a moment before us: look again, soon.
            log.info("sale %s: activity already owned by a twin sale; checking again", record.id)
            self.outbox.retry_later(record, time.time() + 0.5, maybe_posted=True)
            return
        if finished:
            log.info("sale %s: posted to LeadSquared as %s", record.id, activity_id)
            metrics.count_post("posted")
            self.notifier.wake()
            self._state_changed(record.id)
        else:
            # Our lease ran out while LeadSquared answered; whoever took over will find this
            # activity by lookup (maybe_posted) instead of posting it again.
            log.warning(
                "sale %s: posted as %s but the row moved on; the new owner will adopt it",
                record.id,
                activity_id,
            )

    def _fail(self, record: SaleRecord, kind: str, message: str) -> None:
        if self.outbox.finish(
            record, SaleState.FAILED, notify=NotificationKind.FAILED, error_kind=kind, last_error=message
        ):
            metrics.count_post("failed", kind)
            self.notifier.wake()
            self._state_changed(record.id)

    def _state_changed(self, sale_id: int) -> None:
        if self.on_state_change is None:
            return
        try:
            record = self.outbox.get(sale_id)
            if record is not None:
                self.on_state_change(record)
        except Exception as error:  # the Home catches up on its next open
            log.warning("sale %s: home refresh hook failed: %s", sale_id, type(error).__name__)


class _LostOwnership(Exception):
    pass


class _Progress:
    """How far one attempt got, for deciding what an unexpected error leaves behind."""

    sending_create = False
