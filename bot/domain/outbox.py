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

import json
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
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.domain.model import RawSale


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
    Column("submission_key", String(128), nullable=False, unique=True),
    Column("team_id", String(32), nullable=False, default=""),
    Column("user_id", String(32), nullable=False, index=True),
    Column("user_name", String(255), nullable=False, default=""),
    Column("channel_id", String(32)),
    Column("response_url", Text),
    Column("user_tz", String(64), nullable=False, default="UTC"),
    Column("user_locale", String(32)),
    Column("raw", Text, nullable=False),  # RawSale as JSON: what the user typed
    # The validated sale, kept for history and messages.
    Column("lead_text", String(255), nullable=False, default=""),
    Column("prospect_id", String(64)),
    Column("lead_label", String(255)),
    Column("product_sku", String(128), nullable=False, default=""),
    Column("status", String(8), nullable=False, default=""),
    Column("revenue", String(40), nullable=False, default=""),
    Column("sales_owner_email", String(255), nullable=False, default=""),
    Column("sales_date", String(19), nullable=False, default=""),  # yyyy-MM-dd HH:mm:ss UTC
    # Delivery state.
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False, index=True),
    Column("lease_until", Float),
    Column("claimed_by", String(128)),
    Column("maybe_posted", Boolean, nullable=False, default=False),
    # Unique: two rows can never claim the same activity (see Dispatcher's adoption).
    Column("leadsquared_id", String(64), unique=True),
    Column("error_kind", String(32)),
    Column("last_error", Text),
    Column("delay_notified", Boolean, nullable=False, default=False),
    Column("cancelled_by", String(64)),
    Column("created_at", Float, nullable=False),
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

    def finish(self, record: SaleRecord, state: SaleState, **changes) -> bool:
        """Raises DuplicateActivity when another row already owns the leadsquared_id."""
        changes.update(state=state.value, lease_until=None, claimed_by=None)
        try:
            return self._compare_and_set(record, changes, now=time.time())
        except IntegrityError:
            raise DuplicateActivity(changes.get("leadsquared_id")) from None

    def retry_later(self, record: SaleRecord, at: float, **changes) -> bool:
        changes.update(state=SaleState.PENDING.value, next_attempt_at=at, lease_until=None, claimed_by=None)
        return self._compare_and_set(record, changes, now=time.time())

    def mark_delay_notified(self, sale_id: int) -> bool:
        """True exactly once per row: the caller that flips the flag tells the user."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sales)
                .where(sales.c.id == sale_id, sales.c.delay_notified.is_(False))
                .values(delay_notified=True)
            )
        return result.rowcount == 1

    def mark_cancelled(self, sale_id: int, by: str) -> bool:
        """done -> cancelled, once (two Undo clicks cancel once)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sales)
                .where(sales.c.id == sale_id, sales.c.state == SaleState.DONE.value)
                .values(state=SaleState.CANCELLED.value, cancelled_by=by, updated_at=time.time())
            )
        return result.rowcount == 1

    def _compare_and_set(self, record: SaleRecord, changes: dict, *, now: float) -> bool:
        values = dict(changes, version=record.version + 1, updated_at=now)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sales).where(sales.c.id == record.id, sales.c.version == record.version).values(**values)
            )
        return result.rowcount == 1

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
