"""The durable outbox: every validated sale is a row before the modal closes.

One table, shared by every process through DATABASE_URL (SQLite for one machine,
PostgreSQL for several processes or dynos). Rows move
    pending -> posting -> done | failed | unknown        (cancelled after an Undo)
and every move is a compare-and-set on ``version`` so two processes can never both
own a row: no SELECT … FOR UPDATE, which SQLite lacks, and nothing kept in memory.

A row in "posting" whose lease ran out belongs to a process that died mid-flight; the
next claim takes it over with ``maybe_posted`` set, so the dispatcher looks the
activity up in LeadSquared before it posts again (Create is not idempotent).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    event,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.domain.model import RawSale

log = logging.getLogger(__name__)


class SaleState(str, Enum):
    PENDING = "pending"
    POSTING = "posting"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    RESOLVED = "resolved"  # an operator settled a failed/unknown sale by hand (python -m bot queue resolve)


metadata = MetaData()

sales = Table(
    "logsale_sales",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # One row per view_submission: Slack's view id is the same on a resubmit or redelivery.
    # Text, not VARCHAR(n): whatever Slack or LeadSquared hands us (Enterprise ids, user names,
    # 300-character lead labels) must never make storing a sale fail (PostgreSQL's DataError).
    Column("submission_key", Text, nullable=False, unique=True),
    Column("team_id", Text, nullable=False, default=""),
    Column("user_id", Text, nullable=False, index=True),
    Column("user_name", Text, nullable=False, default=""),
    Column("channel_id", Text),
    Column("response_url", Text),
    Column("user_tz", Text, nullable=False, default="UTC"),
    Column("user_locale", Text),
    Column("raw", Text, nullable=False),  # RawSale as JSON: what the user typed
    # The validated sale, kept for history and messages.
    Column("lead_text", Text, nullable=False, default=""),
    Column("prospect_id", Text),
    Column("lead_label", Text),
    Column("product_sku", Text, nullable=False, default=""),
    Column("status", Text, nullable=False, default=""),
    Column("revenue", Text, nullable=False, default=""),
    Column("sales_owner_email", Text, nullable=False, default=""),
    Column("sales_date", Text, nullable=False, default=""),  # yyyy-MM-dd HH:mm:ss UTC
    # Delivery state.
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False, index=True),
    Column("lease_until", Float),
    Column("claimed_by", Text),
    Column("maybe_posted", Boolean, nullable=False, default=False),
    # Unique: two rows can never claim the same activity (see Dispatcher's adoption).
    Column("leadsquared_id", Text, unique=True),
    Column("error_kind", Text),
    Column("last_error", Text),
    Column("delay_notified", Boolean, nullable=False, default=False),
    Column("cancelled_by", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Columns that were VARCHAR(n) before they became Text (see Outbox.widen_columns).
_WIDENED_COLUMNS = (
    "submission_key", "team_id", "user_id", "user_name", "channel_id", "user_tz", "user_locale",
    "lead_text", "prospect_id", "lead_label", "product_sku", "status", "revenue", "sales_owner_email",
    "sales_date", "claimed_by", "leadsquared_id", "error_kind", "cancelled_by",
)  # fmt: skip


class NotificationKind(str, Enum):
    POSTED = "posted"  # the channel hears the sale and its Id
    FAILED = "failed"  # the submitter hears why it was not logged (also "unknown")
    DELAYED = "delayed"  # the submitter hears it is queued
    UNDONE = "undone"  # the channel message is edited after an Undo


class NotificationState(str, Enum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    SUPERSEDED = "superseded"  # a "queued" notice that the sale's outcome made stale
    EXPIRED = "expired"  # given up: past the horizon, or no route could ever work


# Everything the salesperson is told, stored with the sale before it is sent, so a Slack
# outage delays a confirmation instead of losing it. Rows move like sales rows
#     pending -> sending -> delivered | superseded | expired     (or back to pending, later)
# with the same compare-and-set on ``version``, so each is sent by one process.
notifications = Table(
    "logsale_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sale_id", Integer, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("extra", Text, nullable=False, default="{}"),  # JSON: e.g. who undid, which message
    Column("response_url", Text),
    Column("response_url_issued_at", Float),  # when Slack issued it (at the latest)
    Column("route", String(16), nullable=False),  # the route to try next
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),  # our own errors (not Slack's)
    Column("next_attempt_at", Float, nullable=False, index=True),
    Column("lease_until", Float),
    Column("claimed_by", Text),
    Column("last_error", Text),
    Column("delivered_route", String(16)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Slack lets a response_url be used 5 times within 30 minutes: uses are counted per URL,
# across every notification that shares it, in every process.
response_url_uses = Table(
    "logsale_response_url_uses",
    metadata,
    Column("url_hash", String(64), primary_key=True),  # sha256 of the URL: it is a credential
    Column("uses", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
)


class DuplicateActivity(Exception):
    """Another sale already owns this LeadSquared activity id."""


@dataclass(frozen=True)
class Submission:
    """A validated sale as the ack hands it to the outbox."""

    submission_key: str
    team_id: str
    user_id: str
    user_name: str
    channel_id: str | None
    response_url: str | None
    user_tz: str
    user_locale: str | None
    raw: RawSale
    lead_text: str
    prospect_id: str | None
    lead_label: str | None
    product_sku: str
    status: str
    revenue: str
    sales_owner_email: str
    sales_date: str
    created_at: float


@dataclass(frozen=True)
class SaleRecord(Submission):
    """A row of the outbox: the submission plus where its delivery stands."""

    id: int
    state: SaleState
    version: int
    attempts: int
    next_attempt_at: float
    lease_until: float | None
    claimed_by: str | None
    maybe_posted: bool
    leadsquared_id: str | None
    error_kind: str | None
    last_error: str | None
    delay_notified: bool
    cancelled_by: str | None
    updated_at: float

    @classmethod
    def from_row(cls, row) -> SaleRecord:
        data = dict(row._mapping)
        data["raw"] = RawSale.from_dict(json.loads(data["raw"] or "{}"))
        data["state"] = SaleState(data["state"])
        data["maybe_posted"] = bool(data["maybe_posted"])
        data["delay_notified"] = bool(data["delay_notified"])
        return cls(**data)


@dataclass(frozen=True)
class Notification:
    """A row of logsale_notifications: one thing to tell Slack, and how far its delivery got."""

    id: int
    sale_id: int
    kind: NotificationKind
    extra: dict
    response_url: str | None
    response_url_issued_at: float | None
    route: str
    state: NotificationState
    version: int
    attempts: int
    failures: int
    next_attempt_at: float
    lease_until: float | None
    claimed_by: str | None
    last_error: str | None
    delivered_route: str | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row) -> Notification:
        data = dict(row._mapping)
        data["kind"] = NotificationKind(data["kind"])
        data["state"] = NotificationState(data["state"])
        data["extra"] = json.loads(data["extra"] or "{}")
        return cls(**data)


# Every notification starts at the first route of bot/slack_ui/notifier.py: a message-shortcut
# sale's thread when there is one (the notifier skips it otherwise), then the response_url (it
# works where the bot is not a member).
FIRST_ROUTE = "thread"


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            # Several threads and processes write: wait for the lock instead of failing.
            connect_args={"timeout": 30, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside the one writer; NORMAL is still crash-safe in WAL.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Outbox:
    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def from_url(cls, database_url: str) -> Outbox:
        outbox = cls(make_engine(database_url))
        outbox.create_schema()
        return outbox

    def create_schema(self) -> None:
        # checkfirst: several workers starting at once each try; losing the race is fine.
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except Exception:
            metadata.create_all(self.engine, checkfirst=True)

    # --- writing a new sale -------------------------------------------------

    def enqueue(self, sub: Submission) -> tuple[SaleRecord, bool]:
        """Store a sale. Returns (row, created); the same submission_key twice is one row."""
        values = {k: v for k, v in sub.__dict__.items() if k != "raw"}
        values.update(
            raw=json.dumps(sub.raw.to_dict()),
            state=SaleState.PENDING.value,
            version=0,
            attempts=0,
            next_attempt_at=sub.created_at,
            maybe_posted=False,
            delay_notified=False,
            updated_at=sub.created_at,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(sales).values(**values))
            created = True
        except IntegrityError:
            created = False
        record = self.get_by_key(sub.submission_key)
        assert record is not None
        return record, created

    # --- reading ----------------------------------------------------------------

    def get(self, sale_id: int) -> SaleRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sales).where(sales.c.id == sale_id)).first()
        return SaleRecord.from_row(row) if row else None

    def get_by_key(self, submission_key: str) -> SaleRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sales).where(sales.c.submission_key == submission_key)).first()
        return SaleRecord.from_row(row) if row else None

    def recent_for_user(self, user_id: str, limit: int = 10) -> list[SaleRecord]:
        query = select(sales).where(sales.c.user_id == user_id).order_by(sales.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [SaleRecord.from_row(row) for row in conn.execute(query)]

    def known_skus(self, limit: int = 500) -> set[str]:
        query = select(sales.c.product_sku).order_by(sales.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return {sku for (sku,) in conn.execute(query) if sku}

    def leadsquared_ids_for_lead(self, prospect_id: str, *, other_than: int) -> frozenset[str]:
        """Activity ids other sales to this lead already own."""
        query = select(sales.c.leadsquared_id).where(
            sales.c.prospect_id == prospect_id, sales.c.id != other_than, sales.c.leadsquared_id.is_not(None)
        )
        with self.engine.connect() as conn:
            return frozenset(str(i) for (i,) in conn.execute(query))

    def has_backlog(self, now: float | None = None) -> bool:
        """Is any sale due or being posted right now (i.e. waiting for LeadSquared calls)?"""
        now = time.time() if now is None else now
        busy = or_(
            and_(sales.c.state == SaleState.PENDING.value, sales.c.next_attempt_at <= now),
            sales.c.state == SaleState.POSTING.value,
        )
        with self.engine.connect() as conn:
            return conn.execute(select(sales.c.id).where(busy).limit(1)).first() is not None

    def count_by_state(self) -> dict[str, int]:
        from sqlalchemy import func

        query = select(sales.c.state, func.count()).group_by(sales.c.state)
        with self.engine.connect() as conn:
            return {state: n for state, n in conn.execute(query)}

    # --- the dispatcher's moves ---------------------------------------------------

    def claim_next(self, worker_id: str, *, lease_seconds: float, now: float | None = None) -> SaleRecord | None:
        """Take one due row for this worker, or None. Safe across threads and processes."""
        now = time.time() if now is None else now
        due = or_(
            and_(sales.c.state == SaleState.PENDING.value, sales.c.next_attempt_at <= now),
            and_(sales.c.state == SaleState.POSTING.value, sales.c.lease_until < now),
        )
        query = select(sales).where(due).order_by(sales.c.next_attempt_at, sales.c.id).limit(8)
        with self.engine.connect() as conn:
            candidates = [SaleRecord.from_row(row) for row in conn.execute(query)]
        for record in candidates:
            # A row left "posting" by a dead process may have reached LeadSquared.
            abandoned = record.state is SaleState.POSTING
            changes = {
                "state": SaleState.POSTING.value,
                "claimed_by": worker_id,
                "lease_until": now + lease_seconds,
                "attempts": record.attempts + 1,
                "maybe_posted": record.maybe_posted or abandoned,
            }
            if self._compare_and_set(record, changes, now=now):
                return self.get(record.id)
        return None

    def extend_lease(self, record: SaleRecord, *, lease_seconds: float) -> SaleRecord | None:
        """Keep a row while still working on it; None if another worker took it over."""
        now = time.time()
        if self._compare_and_set(record, {"lease_until": now + lease_seconds}, now=now):
            return self.get(record.id)
        return None

    def update_owned(self, record: SaleRecord, **changes) -> SaleRecord | None:
        """Change a row this worker owns (claimed_by and version unchanged since read)."""
        if self._compare_and_set(record, changes, now=time.time()):
            return self.get(record.id)
        return None

    def finish(self, record: SaleRecord, state: SaleState, notify: NotificationKind | None = None, **changes) -> bool:
        """Raises DuplicateActivity when another row already owns the leadsquared_id.
        ``notify`` stores that notification in the same transaction when the row moved."""
        changes.update(state=state.value, lease_until=None, claimed_by=None)
        try:
            return self._compare_and_set(record, changes, now=time.time(), notify=notify)
        except IntegrityError:
            raise DuplicateActivity(changes.get("leadsquared_id")) from None

    def retry_later(self, record: SaleRecord, at: float, **changes) -> bool:
        changes.update(state=SaleState.PENDING.value, next_attempt_at=at, lease_until=None, claimed_by=None)
        return self._compare_and_set(record, changes, now=time.time())

    def mark_delay_notified(self, sale_id: int, *, notify: bool = False) -> bool:
        """True exactly once per row: the caller that flips the flag tells the user
        (``notify``: store the DELAYED notification in the same transaction)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sales)
                .where(sales.c.id == sale_id, sales.c.delay_notified.is_(False))
                .values(delay_notified=True)
            )
            flipped = result.rowcount == 1
            if flipped and notify:
                url, created_at = conn.execute(
                    select(sales.c.response_url, sales.c.created_at).where(sales.c.id == sale_id)
                ).one()
                _insert_notification(
                    conn, sale_id, NotificationKind.DELAYED, response_url=url, issued_at=created_at, now=time.time()
                )
        return flipped

    def mark_cancelled(
        self, sale_id: int, by: str, *, notify_extra: dict | None = None, response_url: str | None = None
    ) -> bool:
        """done -> cancelled, once (two Undo clicks cancel once). With ``notify_extra`` the
        UNDONE notification (the message edit) is stored in the same transaction; its
        response_url is the click's, issued just now."""
        now = time.time()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sales)
                .where(sales.c.id == sale_id, sales.c.state == SaleState.DONE.value)
                .values(state=SaleState.CANCELLED.value, cancelled_by=by, updated_at=now)
            )
            moved = result.rowcount == 1
            if moved and notify_extra is not None:
                _insert_notification(
                    conn,
                    sale_id,
                    NotificationKind.UNDONE,
                    response_url=response_url,
                    issued_at=now,
                    now=now,
                    extra=notify_extra,
                )
        return moved

    # --- notifications ---------------------------------------------------------------

    def notifications_for(self, sale_id: int) -> list[Notification]:
        query = select(notifications).where(notifications.c.sale_id == sale_id).order_by(notifications.c.id)
        with self.engine.connect() as conn:
            return [Notification.from_row(row) for row in conn.execute(query)]

    def get_notification(self, notification_id: int) -> Notification | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(notifications).where(notifications.c.id == notification_id)).first()
        return Notification.from_row(row) if row else None

    def claim_next_notification(
        self, worker_id: str, *, lease_seconds: float, now: float | None = None
    ) -> Notification | None:
        """Take one due notification for this worker, or None. Safe across threads and processes;
        one left "sending" by a dead process is taken over when its lease runs out."""
        now = time.time() if now is None else now
        due = or_(
            and_(notifications.c.state == NotificationState.PENDING.value, notifications.c.next_attempt_at <= now),
            and_(notifications.c.state == NotificationState.SENDING.value, notifications.c.lease_until < now),
        )
        query = select(notifications).where(due).order_by(notifications.c.next_attempt_at, notifications.c.id)
        with self.engine.connect() as conn:
            candidates = [Notification.from_row(row) for row in conn.execute(query.limit(8))]
        for notification in candidates:
            changes = {
                "state": NotificationState.SENDING.value,
                "claimed_by": worker_id,
                "lease_until": now + lease_seconds,
                "attempts": notification.attempts + 1,
            }
            if self._notification_cas(notification, changes, now=now):
                return self.get_notification(notification.id)
        return None

    def notification_retry_later(self, notification: Notification, at: float, **changes) -> bool:
        """Back to pending until ``at`` (``route``, ``last_error``, ``failures`` may change)."""
        changes.update(state=NotificationState.PENDING.value, next_attempt_at=at, lease_until=None, claimed_by=None)
        return self._notification_cas(notification, changes, now=time.time())

    def notification_finish(self, notification: Notification, state: NotificationState, **changes) -> bool:
        changes.update(state=state.value, lease_until=None, claimed_by=None)
        return self._notification_cas(notification, changes, now=time.time())

    def undelivered_notifications(self) -> list[Notification]:
        """Expired notifications: what nobody could tell the salesperson (for operators)."""
        query = select(notifications).where(notifications.c.state == NotificationState.EXPIRED.value)
        with self.engine.connect() as conn:
            return [Notification.from_row(row) for row in conn.execute(query.order_by(notifications.c.id))]

    def take_response_url_use(self, url: str, *, max_uses: int = 5) -> bool:
        """Reserve one of the URL's uses; False when all are taken (shared by every process)."""
        key, now = _url_hash(url), time.time()
        for _ in range(3):
            with self.engine.begin() as conn:
                taken = conn.execute(
                    update(response_url_uses)
                    .where(response_url_uses.c.url_hash == key, response_url_uses.c.uses < max_uses)
                    .values(uses=response_url_uses.c.uses + 1, updated_at=now)
                ).rowcount
                if taken == 1:
                    return True
                known = conn.execute(
                    select(response_url_uses.c.uses).where(response_url_uses.c.url_hash == key)
                ).first()
                if known is not None:
                    return False
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(response_url_uses).values(url_hash=key, uses=1, updated_at=now))
                return True
            except IntegrityError:
                continue  # another process counted its first use at the same moment: count again
        return False

    def give_back_response_url_use(self, url: str) -> None:
        """Slack refused the post before using the URL (429, 5xx, no connection): not a use."""
        with self.engine.begin() as conn:
            conn.execute(
                update(response_url_uses)
                .where(response_url_uses.c.url_hash == _url_hash(url), response_url_uses.c.uses > 0)
                .values(uses=response_url_uses.c.uses - 1, updated_at=time.time())
            )

    def response_url_use_count(self, url: str) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(response_url_uses.c.uses).where(response_url_uses.c.url_hash == _url_hash(url))
            ).first()
        return found[0] if found else 0

    def _notification_cas(self, notification: Notification, changes: dict, *, now: float) -> bool:
        values = dict(changes, version=notification.version + 1, updated_at=now)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(notifications)
                .where(notifications.c.id == notification.id, notifications.c.version == notification.version)
                .values(**values)
            )
        return result.rowcount == 1

    # --- schema upkeep ------------------------------------------------------------------

    def widen_columns(self) -> list[str]:
        """PostgreSQL databases created before the columns became Text still have VARCHAR(n):
        make them Text (no table rewrite: VARCHAR -> TEXT is binary-compatible). Idempotent and
        safe to run from several workers at once; returns the columns changed. Remove once
        migrations (Alembic) own the schema."""
        if self.engine.dialect.name != "postgresql":
            return []  # SQLite never enforced the lengths
        with self.engine.connect() as conn:
            narrow = [
                name
                for (name,) in conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                        " AND table_name = 'logsale_sales' AND data_type = 'character varying'"
                    )
                )
                if name in _WIDENED_COLUMNS
            ]
        if not narrow:
            return []
        alter = ", ".join(f'ALTER COLUMN "{name}" TYPE TEXT' for name in sorted(narrow))
        try:
            with self.engine.begin() as conn:
                # Don't hang start-up behind a long transaction: the next start tries again.
                conn.execute(text("SET LOCAL lock_timeout = '5s'"))
                conn.execute(text(f"ALTER TABLE logsale_sales {alter}"))
        except DBAPIError as error:
            log.warning("could not widen %s to TEXT yet (%s); will try at the next start", narrow, type(error).__name__)
            return []
        return sorted(narrow)

    def _compare_and_set(
        self, record: SaleRecord, changes: dict, *, now: float, notify: NotificationKind | None = None
    ) -> bool:
        values = dict(changes, version=record.version + 1, updated_at=now)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sales).where(sales.c.id == record.id, sales.c.version == record.version).values(**values)
            )
            moved = result.rowcount == 1
            if moved and notify is not None:
                # In the same transaction: the outcome and the news of it are stored together.
                _insert_notification(
                    conn, record.id, notify, response_url=record.response_url, issued_at=record.created_at, now=now
                )
        return moved

    # --- operations: the queue tool, the App Home and /metrics ------------------------

    def sales_in_states(self, states: tuple[SaleState, ...], *, limit: int = 50) -> list[SaleRecord]:
        """Newest first."""
        query = (
            select(sales).where(sales.c.state.in_([s.value for s in states])).order_by(sales.c.id.desc()).limit(limit)
        )
        with self.engine.connect() as conn:
            return [SaleRecord.from_row(row) for row in conn.execute(query)]

    def stuck_sales(self, *, older_than: float, now: float | None = None, limit: int = 50) -> list[SaleRecord]:
        """Sales still not posted (pending or posting) more than ``older_than`` seconds after
        they were submitted: a queue that should have drained by now. Oldest first."""
        now = time.time() if now is None else now
        query = (
            select(sales)
            .where(
                sales.c.state.in_([SaleState.PENDING.value, SaleState.POSTING.value]),
                sales.c.created_at < now - older_than,
            )
            .order_by(sales.c.created_at, sales.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [SaleRecord.from_row(row) for row in conn.execute(query)]

    def requeue(self, sale_id: int, *, now: float | None = None) -> SaleRecord | None:
        """failed/unknown -> pending, due now. None when the sale is in no such state.

        An "unknown" sale may exist in LeadSquared: it goes back with maybe_posted set, so
        the dispatcher looks the activity up before it would ever post again. A failed one
        keeps whatever maybe_posted it had (a permanent error after an ambiguous attempt)."""
        now = time.time() if now is None else now
        record = self.get(sale_id)
        if record is None or record.state not in (SaleState.FAILED, SaleState.UNKNOWN):
            return None
        changes = {
            "state": SaleState.PENDING.value,
            "next_attempt_at": now,
            "attempts": 0,
            "lease_until": None,
            "claimed_by": None,
            "maybe_posted": record.maybe_posted or record.state is SaleState.UNKNOWN,
        }
        if self._compare_and_set(record, changes, now=now):
            return self.get(sale_id)
        return None

    def mark_resolved(self, sale_id: int, *, now: float | None = None) -> SaleRecord | None:
        """failed/unknown -> resolved (settled by hand; never posted by us again)."""
        now = time.time() if now is None else now
        record = self.get(sale_id)
        if record is None or record.state not in (SaleState.FAILED, SaleState.UNKNOWN):
            return None
        if self._compare_and_set(record, {"state": SaleState.RESOLVED.value}, now=now):
            return self.get(sale_id)
        return None

    def logged_since(self, user_id: str, sales_date_from: str) -> list[SaleRecord]:
        """This user's sales now in LeadSquared (done) dated on or after ``sales_date_from``
        (``yyyy-MM-dd HH:mm:ss`` UTC, which sorts as text)."""
        query = select(sales).where(
            sales.c.user_id == user_id,
            sales.c.state == SaleState.DONE.value,
            sales.c.sales_date >= sales_date_from,
        )
        with self.engine.connect() as conn:
            return [SaleRecord.from_row(row) for row in conn.execute(query)]

    def oldest_created_at(self, *, due_only: bool, now: float | None = None) -> float | None:
        """When the oldest not-yet-posted sale was submitted: of those due now (pending and
        due, or posting) with ``due_only``, else of every pending/posting one."""
        from sqlalchemy import func

        now = time.time() if now is None else now
        if due_only:
            waiting = or_(
                and_(sales.c.state == SaleState.PENDING.value, sales.c.next_attempt_at <= now),
                sales.c.state == SaleState.POSTING.value,
            )
        else:
            waiting = sales.c.state.in_([SaleState.PENDING.value, SaleState.POSTING.value])
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(sales.c.created_at)).where(waiting)).scalar()

    def ping(self) -> None:
        """Raises when the database can't be reached (for /readyz)."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def _insert_notification(
    conn,
    sale_id: int,
    kind: NotificationKind,
    *,
    response_url: str | None,
    issued_at: float | None,
    now: float,
    extra: dict | None = None,
) -> None:
    conn.execute(
        insert(notifications).values(
            sale_id=sale_id,
            kind=kind.value,
            extra=json.dumps(extra or {}),
            response_url=response_url,
            response_url_issued_at=issued_at,
            route=FIRST_ROUTE,
            state=NotificationState.PENDING.value,
            version=0,
            attempts=0,
            failures=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
