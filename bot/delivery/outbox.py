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

import contextlib
import functools
import hashlib
import json
import logging
import os
import queue
import random
import socket
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import NamedTuple, get_args, get_type_hints

from sqlalchemy import (
    and_,
    create_engine,
    event,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from bot import thread_names
from bot.delivery.schema import metadata, notifications, response_url_uses, sales
from bot.delivery.sqlite_writes import TurnTakingConnection, write_turn_for
from bot.domain.model import RawSale, Sale, SaleState  # noqa: F401 - SaleState: part of this API

log = logging.getLogger(__name__)

# A database wait made while Slack waits for an ack (the submission's enqueue, history,
# one-line SKUs, the lookups' backlog check) gives up after this: the whole ack must stay
# well inside Slack's 3 s, and a request may already have spent 1 s on lookups.
ACK_DB_TIMEOUT = 0.8
# Background work (dispatcher, start-up) may wait longer for a lock, but never forever.
BACKGROUND_DB_TIMEOUT = 20.0
# Start-up: several workers creating the schema at once retry until this long has passed.
SCHEMA_DEADLINE = 15.0  # gunicorn gives a booting worker 30 s


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


class DuplicateActivity(Exception):
    """Another sale already owns this LeadSquared activity id."""


class NotStored(Exception):
    """The database didn't take the sale (locked, read-only, unreachable): nothing was stored."""


class MaybeStored(Exception):
    """The commit's outcome is unknown and re-reading couldn't tell: the sale may be stored.
    Submitting the same form again is safe (it is keyed on the view) and settles it."""


class AlreadySending(Exception):
    """The same form was submitted before with other content, and that sale is already being
    posted (or was posted): it can't be replaced any more. ``record`` is that sale."""

    def __init__(self, record: SaleRecord):
        super().__init__(record.id)
        self.record = record


# How a validated sale's UTC date is kept in the ``sales_date`` column: sortable text, "2026-11-26 09:30:00".
STORED_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def sale_columns(sale: Sale | None) -> dict:
    """The validated sale as its row keeps it: all of it as JSON in ``sale`` (read back by
    ``sale_from_columns``), and copies of the three values queries select by, written with it."""
    if sale is None:
        return {"sale": "null", "prospect_id": None, "product_sku": "", "sales_date": ""}
    return {
        "sale": json.dumps(_to_json(sale), separators=(",", ":")),
        "prospect_id": sale.lead.prospect_id,
        "product_sku": sale.product_sku,
        "sales_date": stored_date(sale.sales_date_utc),
    }


def sale_from_columns(text: str | None) -> Sale | None:
    """The validated sale a row's ``sale`` column holds; None when it doesn't read as one."""
    try:
        return _from_json(Sale, json.loads(text or "null"))
    except (ValueError, TypeError, KeyError, InvalidOperation, RecursionError):
        return None


# The JSON follows the dataclasses' fields and types (text; Decimal as text; aware datetimes in ISO
# form, UTC; bool/int/float; nested dataclasses), so a new field of Sale needs no change here.
def _to_json(value):
    names = _dataclass_field_names(type(value))
    if names is not None:
        return {name: _to_json(getattr(value, name)) for name in names}
    if isinstance(value, Decimal):
        return str(value)  # exactly as typed: "12000.50" stays "12000.50"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def _from_json(cls, data):
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: not an object")
    # A field added since the row was written takes its default (and must have one).
    return cls(
        **{
            name: _read_value(kind, data[name])
            for name, kind, required in _fields_to_read(cls)
            if name in data or required
        }
    )


# Per class, once: fields() and get_type_hints() on every row were most of (de)serializing a sale.
@functools.cache
def _dataclass_field_names(cls) -> tuple[str, ...] | None:
    return tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None


@functools.cache
def _fields_to_read(cls) -> tuple[tuple[str, object, bool], ...]:
    hints = get_type_hints(cls)
    return tuple((f.name, hints[f.name], _required(f)) for f in fields(cls))


def _required(f) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _read_value(kind, value):
    if value is None and type(None) in get_args(kind):
        return None
    kind = next((k for k in get_args(kind) if k is not type(None)), kind)  # "str | None" -> str
    if is_dataclass(kind):
        return _from_json(kind, value)
    if kind in (bool, int, float):
        if type(value) is not kind:
            raise TypeError(f"{kind.__name__}: not one")
        return value
    if not isinstance(value, str):
        raise TypeError(f"{kind.__name__}: not text")
    if kind is Decimal:
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError("not a finite number")
        return number
    if kind is datetime:
        when = datetime.fromisoformat(value)
        if when.tzinfo is None:
            raise ValueError("a date without its offset")
        return when.astimezone(timezone.utc)
    return value


def stored_date(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(STORED_DATE_FORMAT)


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
    raw: RawSale  # what was typed
    sale: Sale | None  # as validated (what LeadSquared is sent, and shown); None: a row that doesn't read as one
    created_at: float

    # The validated sale's values as text, for what shows them ("" when the row holds no sale).
    @property
    def lead_text(self) -> str:
        return self.sale.lead.text if self.sale else ""

    @property
    def prospect_id(self) -> str | None:
        return self.sale.lead.prospect_id if self.sale else None

    @property
    def lead_label(self) -> str | None:
        return self.sale.lead.label if self.sale else None

    @property
    def product_sku(self) -> str:
        return self.sale.product_sku if self.sale else ""

    @property
    def status(self) -> str:
        return self.sale.status if self.sale else ""

    @property
    def revenue(self) -> str:
        return str(self.sale.revenue) if self.sale else ""

    @property
    def sales_owner_email(self) -> str:
        return self.sale.sales_owner_email if self.sale else ""

    @property
    def sales_date(self) -> str:
        """The UTC date as the ``sales_date`` column keeps it, "2026-11-26 09:30:00"."""
        return stored_date(self.sale.sales_date_utc) if self.sale else ""


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
        data["sale"] = sale_from_columns(data["sale"])
        for copy in ("prospect_id", "product_sku", "sales_date"):  # the query copies of the sale's values
            del data[copy]
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


# PostgreSQL refuses a connection past max_connections ("sorry, too many clients"): a burst
# on 3 workers with pools of 30 each (two per process) asked for more than the default 100
# and some sales got "couldn't save". Each process's two pools now stay within its share of
# two thirds of what the server allows (the rest is for other clients, psql and migrations);
# a request waits for a pooled connection instead, within its own deadline. The ack path gets
# the larger part: up to 32 Slack requests per worker need one at once in a burst, while the
# background's few threads hold theirs for a statement at a time.
MAX_ACK_POOL = 20
MAX_BACKGROUND_POOL = 10
MIN_POOL = 2


class PoolSizes(NamedTuple):
    ack: int  # Slack requests (ack_engine_for)
    background: int  # dispatcher, notifier, Home refresher, limiter


POOL_SIZES_IF_UNKNOWN = PoolSizes(ack=5, background=3)
_ack_pool_sizes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def pool_sizes_for(database_url: str, processes: int) -> PoolSizes | None:
    """How many connections each of a process's two pools may hold on this PostgreSQL (None:
    SQLite, no limit needed). Asks the server its max_connections once, at start."""
    if database_url.startswith("sqlite"):
        return None
    probe = create_engine(database_url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with probe.connect() as conn:
            allowed = int(conn.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    except (SQLAlchemyError, ValueError) as error:
        log.warning("max_connections unknown (%s): pools of %s", type(error).__name__, POOL_SIZES_IF_UNKNOWN)
        return POOL_SIZES_IF_UNKNOWN
    finally:
        probe.dispose()
    per_process = (allowed - reserved) * 2 // 3 // max(1, processes)
    ack = max(MIN_POOL, min(MAX_ACK_POOL, per_process * 2 // 3))
    return PoolSizes(ack=ack, background=max(MIN_POOL, min(MAX_BACKGROUND_POOL, per_process - ack)))


def make_engine(
    database_url: str,
    *,
    ack_path: bool = False,
    timeout: float | None = None,
    pool_sizes: PoolSizes | None = None,
) -> Engine:
    """An engine whose every wait (lock, statement, connect, pool) gives up: after
    BACKGROUND_DB_TIMEOUT, or ACK_DB_TIMEOUT for the ``ack_path`` engine (see ack_connection),
    or ``timeout`` (tests scale it down). It drops connections a fault has spoiled
    (``_reconnect_after``) instead of reusing them. ``pool_sizes``: PostgreSQL's pools hold at
    most this many (see pool_sizes_for): this engine its ``background`` share (its ``ack`` share
    for the ``ack_path`` engine), and the ack-path engine made for it (ack_engine_for) the other."""
    if pool_sizes is not None:
        connections: int | None = pool_sizes.ack if ack_path else pool_sizes.background
    else:
        connections = None
    if timeout is None:
        timeout = ACK_DB_TIMEOUT if ack_path else BACKGROUND_DB_TIMEOUT
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            # Several threads and processes write: wait for the lock (this long) instead of failing;
            # this process's threads queue for it (sqlite_writes), SQLite's wait is between processes.
            connect_args={"timeout": timeout, "check_same_thread": False, "factory": TurnTakingConnection},
            # SQLite connections are cheap: a request never queues for one.
            pool_size=5,
            max_overflow=-1,
        )

        path = engine.url.database if engine.url.database not in (None, "", ":memory:") else None

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, record):
            # SQLite opens a file it can't write read-only, and the connection stays so.
            record.info["opened_read_only"] = path is not None and not _writable(path)
            if path is not None:
                dbapi_connection.write_turn = write_turn_for(path)
            dbapi_connection.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            _use_wal(dbapi_connection, deadline=time.monotonic() + min(timeout, 5.0))
            # NORMAL is still crash-safe in WAL.
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        @event.listens_for(engine, "checkout")
        def _replace_read_only(_dbapi_connection, record, _proxy):
            if record.info.get("opened_read_only") and _writable(path):
                # The file is writable again: the pool replaces this connection with a new one.
                raise DisconnectionError("opened while the database file was read-only")

    else:
        engine = create_engine(
            database_url,
            # Connections are checked before use: by ack_connection on the ack path, by
            # _ping_under_watch in the background (both within a deadline, unlike pre_ping).
            pool_pre_ping=False,
            pool_size=connections or 10,
            max_overflow=0 if connections else 20,
            pool_timeout=timeout,
            connect_args={
                "connect_timeout": max(2, int(timeout + 0.999)),  # libpq's minimum is 2 s
                # A server that vanished (no RST) is noticed within seconds, not hours.
                "keepalives": 1,
                "keepalives_idle": 5,
                "keepalives_interval": 2,
                "keepalives_count": 2,
                "tcp_user_timeout": int(max(timeout, 1.0) * 1000),
            },
        )

        @event.listens_for(engine, "do_connect")
        def _connect_with_limits(dialect, _record, cargs, cparams):
            # Server-side limits ride in the start-up packet: no extra round trip, nothing
            # to hang on after connecting. Kept beside options the URL may carry.
            ms = int(timeout * 1000)
            limits = f"-c statement_timeout={ms} -c lock_timeout={ms} -c idle_in_transaction_session_timeout=60000"
            cparams["options"] = f"{cparams.get('options', '')} {limits}".strip()
            if not ack_path:
                return dialect.connect(*cargs, **cparams)
            # psycopg won't wait less than 2 s to connect; the ack path can't wait that long, but
            # it may wait what is left of its caller's budget (a busy server forks slowly).
            deadline = getattr(_ack_call, "deadline", None)
            wait = timeout if deadline is None else _left(deadline)
            return _connect_within(wait, lambda: dialect.connect(*cargs, **cparams), dialect.loaded_dbapi)

        if not ack_path:
            _watch_background_calls(engine, _Watchdog(limit=timeout + min(timeout, 5.0)))

    @event.listens_for(engine, "handle_error")
    def _reconnect_after(context):
        if _spoils_connection(context.original_exception):
            # Drop this connection (and the pool's others, opened under the same fault).
            context.is_disconnect = True

    if pool_sizes is not None:
        _ack_pool_sizes[engine] = pool_sizes
        if ack_path:
            _ack_gates[engine] = threading.BoundedSemaphore(connections)
    return engine


# The budget of the ack_connection() this thread is in: a new connection may take that long.
_ack_call = threading.local()

# A capped ack pool's turns, taken within each caller's own budget. The pool's own wait has
# one timeout for every caller (ACK_DB_TIMEOUT): in CI a submission allowed 2 s was refused
# ("couldn't save") in a burst of 48 on 3 workers sharing a PostgreSQL that allows 20.
_ack_gates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _watch_background_calls(engine: Engine, watchdog: _Watchdog) -> None:
    """Every call the background makes on a PostgreSQL connection is watched: the server's
    statement_timeout answers first whenever the server can be reached, the watchdog when the
    network swallows packets (then psycopg would wait forever)."""

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection, record):
        record.info["fresh"] = True

    @event.listens_for(engine, "checkout")
    def _ping_under_watch(dbapi_connection, record, _proxy):
        if record.info.pop("fresh", False):
            return  # just connected
        watchdog.begin(dbapi_connection)
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:
            # A dead connection (a restart, a cut): the pool replaces it and tries again.
            raise DisconnectionError(_reason(error)) from error
        finally:
            watchdog.end(dbapi_connection)

    @event.listens_for(engine, "before_cursor_execute")
    def _statement_starts(conn, _cursor, _statement, _parameters, _context, _executemany):
        watchdog.begin(conn.connection.dbapi_connection)

    @event.listens_for(engine, "after_cursor_execute")
    def _statement_ends(conn, _cursor, _statement, _parameters, _context, _executemany):
        watchdog.end(conn.connection.dbapi_connection)

    @event.listens_for(engine, "commit")
    def _commit_starts(conn):
        watchdog.begin(conn.connection.dbapi_connection)  # ends at the next statement or check-in

    @event.listens_for(engine, "checkin")
    def _back_in_the_pool(dbapi_connection, _record):
        if dbapi_connection is not None:
            watchdog.end(dbapi_connection)


class _Watchdog:
    """Cuts a connection whose current call has run longer than ``limit`` seconds."""

    def __init__(self, limit: float):
        self.limit = limit
        self._lock = threading.Lock()
        self._started: dict[int, tuple[object, float]] = {}
        self._running = False

    def begin(self, dbapi_connection) -> None:
        with self._lock:
            self._started[id(dbapi_connection)] = (dbapi_connection, time.monotonic())
            if not self._running:
                self._running = True
                threading.Thread(target=self._watch, daemon=True, name="db-watchdog").start()

    def end(self, dbapi_connection) -> None:
        with self._lock:
            self._started.pop(id(dbapi_connection), None)

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, self.limit / 4))
            now = time.monotonic()
            with self._lock:
                overdue = [c for c, started in self._started.values() if now - started > self.limit]
                for connection in overdue:
                    self._started.pop(id(connection), None)
                idle = not self._started
                if idle:
                    self._running = False  # a new call starts a new watch
            for connection in overdue:
                log.warning("a database call ran past %.0f s: cutting its connection", self.limit)
                _cut(connection)
            if idle:
                return


def _use_wal(dbapi_connection, *, deadline: float) -> None:
    """WAL lets readers run beside the one writer. It is stored in the file, so it is set once;
    workers starting together may find the file locked meanwhile: retry, then carry on."""
    delay = 0.02
    while True:
        try:
            (mode,) = dbapi_connection.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() == "wal":
                return
            dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() + delay > deadline:
                # Still correct without WAL (readers wait for writers); another worker sets it.
                log.warning("could not switch SQLite to WAL yet (%s); continuing", error)
                return
            time.sleep(delay * random.uniform(1.0, 1.5))
            delay = min(delay * 2, 0.5)


# SQLite errors after which a connection stays broken though the fault is gone: one opened
# while the file was read-only keeps it read-only; an I/O error can leave it in a bad state.
_SPOILING_SQLITE_ERRORS = ("readonly database", "disk i/o error", "database disk image is malformed")


def _writable(path: str) -> bool:
    """Could SQLite open this database (and its WAL) for writing now?"""
    if not os.path.exists(path):
        return os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)
    wal = path + "-wal"
    return os.access(path, os.W_OK) and (not os.path.exists(wal) or os.access(wal, os.W_OK))


def _spoils_connection(error: BaseException) -> bool:
    if isinstance(error, sqlite3.Error):
        text = str(error).lower()
        return any(marker in text for marker in _SPOILING_SQLITE_ERRORS)
    return False


def _connect_within(timeout: float, connect, dbapi):
    """connect(), or the driver's OperationalError after ``timeout`` s. A connection that
    arrives later is closed."""
    lock = threading.Lock()
    outcome: dict = {}
    done = threading.Event()

    def attempt() -> None:
        try:
            connection = connect()
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = error
        else:
            with lock:
                if outcome.get("abandoned"):
                    connection.close()
                    return
                outcome["connection"] = connection
        done.set()

    threading.Thread(target=attempt, daemon=True, name="db-connect").start()
    done.wait(timeout)
    with lock:
        if "connection" in outcome:
            return outcome["connection"]
        if "error" in outcome:
            raise outcome["error"]
        outcome["abandoned"] = True
    raise dbapi.OperationalError(f"could not connect to the database within {timeout:g} s")


_ack_engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ack_engines_lock = threading.Lock()


def ack_engine_for(engine: Engine) -> Engine:
    """The engine for work done while Slack waits for an ack: same database, its own pool,
    every wait bounded by ACK_DB_TIMEOUT. One per engine, shared by the outbox and the limiter."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return engine  # an in-memory database exists only in its own engine
    with _ack_engines_lock:
        ack_engine = _ack_engines.get(engine)
        if ack_engine is None:
            ack_engine = make_engine(
                engine.url.render_as_string(hide_password=False),
                ack_path=True,
                pool_sizes=_ack_pool_sizes.get(engine),
            )
            _ack_engines[engine] = ack_engine
        return ack_engine


@contextlib.contextmanager
def ack_connection(engine: Engine, seconds: float) -> Iterator[Connection]:
    """A connection from the ack engine for work Slack waits on: a turn at a capped pool, a new
    connection and every statement wait within ``seconds``; a pooled connection that died (a database restart)
    is replaced once, within that time; and when it runs under _run_until, a caller who gives
    up can cut it."""
    deadline = time.monotonic() + seconds
    gate = _ack_gates.get(engine)
    if gate is not None and not gate.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise PoolTimeout(f"no database connection was free within {seconds:g} s")
    try:
        for attempt in range(2):
            _ack_call.deadline = deadline
            try:
                conn = engine.connect()
            finally:
                _ack_call.deadline = None
            job = getattr(_jobs, "current", None)
            if job is not None:
                job.using(conn)
            try:
                # The first statement is also the liveness check (no separate pre-ping round trip).
                limit_waits(conn, _left(deadline))
            except DBAPIError as error:
                if job is not None:
                    job.done_with_connection()
                conn.close()
                if error.connection_invalidated and attempt == 0:
                    continue
                raise
            break
        try:
            yield conn
        finally:
            if job is not None:
                job.done_with_connection()
            conn.close()
    finally:
        if gate is not None:
            gate.release()


def limit_waits(conn, seconds: float) -> None:
    """This connection's next statements wait for locks (and run) at most ``seconds``."""
    ms = max(1, int(seconds * 1000))
    if conn.dialect.name == "sqlite":
        # Rounded down to 50 ms, and not set again when the connection already has it: a busy
        # burst acks with the same budget each time, and a PRAGMA per store was a fifth of its CPU.
        # (A SQLite connection can't die under us as a server's can: nothing to check here.)
        if ms > 50:
            ms -= ms % 50
        info = conn.connection.info
        if info.get("busy_timeout_ms") != ms:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {ms}")
            info["busy_timeout_ms"] = ms
    elif conn.dialect.name == "postgresql":
        # Local (true): back to the connection's own limits when this transaction ends.
        # One statement, one round trip on the ack path.
        conn.exec_driver_sql(
            f"SELECT set_config('statement_timeout', '{ms}', true), set_config('lock_timeout', '{ms}', true)"
        )


def create_tables(engine: Engine, tables=None, *, deadline_seconds: float = SCHEMA_DEADLINE) -> None:
    """create_all, safe when several workers start at once on a fresh database: whoever loses
    the race (table already exists, file locked, catalog conflict) looks again, with back-off."""
    deadline = time.monotonic() + deadline_seconds
    delay = 0.05
    while True:
        try:
            metadata.create_all(engine, tables=tables, checkfirst=True)
            return
        except SQLAlchemyError as error:
            if time.monotonic() + delay > deadline:
                raise
            log.info("creating the schema: %s; trying again", str(error).splitlines()[0][:200])
            time.sleep(delay * random.uniform(1.0, 2.0))
            delay = min(delay * 2, 1.0)


# Built once: building insert(sales).values(...) per submission cost ~90 us of the ack's CPU.
_INSERT_SALE = insert(sales)


class Outbox:
    def __init__(self, engine: Engine, ack_engine: Engine | None = None):
        self.engine = engine  # background work: longer waits
        # The submission's enqueue and reads made inside an ack: their own pool, short waits.
        self.ack_engine = ack_engine or ack_engine_for(engine)
        # This process's dispatch threads claim one at a time: racing, each read the same first
        # candidates and tried them in order, so most compare-and-sets failed (3.8 per sale
        # claimed in a burst, each a write transaction). Other processes may still race us.
        self._claim_turn = threading.Lock()

    @classmethod
    def from_url(cls, database_url: str) -> Outbox:
        outbox = cls(make_engine(database_url))
        outbox.create_schema()
        return outbox

    def create_schema(self, *, deadline_seconds: float = SCHEMA_DEADLINE) -> None:
        # Several workers starting at once each try; losing the race (even twice) is fine.
        create_tables(self.engine, deadline_seconds=deadline_seconds)

    # --- writing a new sale -------------------------------------------------

    def enqueue(self, sub: Submission, *, timeout: float = ACK_DB_TIMEOUT) -> tuple[SaleRecord, bool]:
        """Store a sale within about ``timeout`` s. Returns (row, queued).

        The same submission_key (Slack's view id) with the same typed content is one row
        (queued False): Slack redelivered it. With other content it is the salesperson's
        correction after an error they saw: it replaces the row's content while no attempt
        can have reached LeadSquared (queued True), else raises AlreadySending. Raises
        NotStored when nothing was stored, MaybeStored when that is unknown.
        """
        return self._bounded_enqueue(sub, timeout, read_back=True)

    def store(self, sub: Submission, *, timeout: float = ACK_DB_TIMEOUT) -> bool:
        """enqueue() for the ack path, which only needs to know whether the sale was queued: a
        new row isn't read back (over half of the call's CPU). Same errors as enqueue()."""
        return self._bounded_enqueue(sub, timeout, read_back=False)[1]

    def _bounded_enqueue(self, sub: Submission, timeout: float, *, read_back: bool):
        deadline = time.monotonic() + timeout
        guard = _CommitGuard()
        # The driver's own limits (busy/statement/lock/connect timeouts) normally answer first;
        # this also bounds what they can't, such as a network path that swallows packets.
        outcome = _run_until(deadline + _GRACE, lambda: self._enqueue(sub, deadline, guard, read_back))
        if outcome is _TIMED_OUT:
            if guard.abandon():
                raise NotStored("the database didn't answer in time")
            raise MaybeStored("the database didn't confirm in time")
        return outcome

    def _enqueue(self, sub: Submission, deadline: float, guard: _CommitGuard, read_back: bool):
        values = self._row_values(sub)
        values.update(
            state=SaleState.PENDING.value,
            version=0,
            attempts=0,
            next_attempt_at=sub.created_at,
            maybe_posted=False,
            delay_notified=False,
            updated_at=sub.created_at,
        )
        committing = duplicate = False
        try:
            with ack_connection(self.ack_engine, _left(deadline)) as conn:
                try:
                    conn.execute(_INSERT_SALE, values)
                except IntegrityError:
                    conn.rollback()
                    duplicate = True
                else:
                    if not guard.may_commit():
                        conn.rollback()
                        raise NotStored("gave up before committing")
                    committing = True
                    conn.commit()
        except Exception as error:
            if not committing:
                # No COMMIT was sent: the transaction died with its connection.
                raise NotStored(_reason(error)) from error
            # The COMMIT itself failed: it may or may not have happened. Look.
            return self._after_uncertain_commit(sub, deadline, guard, error)
        if duplicate:
            return self._resubmitted(sub, deadline, guard)
        if not read_back:  # committed: the row is there
            return None, True
        record = self._get_by_key(sub.submission_key, deadline)
        if record is None:  # can't be: we just committed it
            raise MaybeStored("the stored sale could not be read back")
        return record, True

    def _row_values(self, sub: Submission) -> dict:
        values = {k: v for k, v in sub.__dict__.items() if k not in ("raw", "sale")}
        values["raw"] = json.dumps(sub.raw.to_dict())
        values.update(sale_columns(sub.sale))
        return values

    def _get_by_key(self, submission_key: str, deadline: float) -> SaleRecord | None:
        try:
            return self._select_by_key(submission_key, _left(deadline))
        except Exception as error:
            raise MaybeStored(_reason(error)) from error

    def _after_uncertain_commit(self, sub: Submission, deadline: float, guard: _CommitGuard, error: Exception):
        log.warning("the commit of a submission failed (%s); checking whether it was stored", _reason(error))
        record = self._get_by_key(sub.submission_key, deadline)
        if record is None:
            raise NotStored(_reason(error)) from error
        if record.raw == sub.raw:
            return record, True
        return self._resubmitted(sub, deadline, guard)

    def _resubmitted(self, sub: Submission, deadline: float, guard: _CommitGuard) -> tuple[SaleRecord, bool]:
        """The view was submitted before. Same content: Slack's retry. Other content: replace
        the earlier row's content if nothing of it can have reached LeadSquared yet."""
        # The earlier press is stored: from here on, never tell the user "nothing was stored".
        guard.earlier_press_stored()
        for _ in range(3):
            existing = self._get_by_key(sub.submission_key, deadline)
            if existing is None:
                raise MaybeStored("the earlier submission vanished")
            if existing.raw == sub.raw:
                return existing, False
            replaceable = existing.state in (SaleState.PENDING, SaleState.FAILED) and not existing.maybe_posted
            if not replaceable:
                raise AlreadySending(existing)
            changes = self._row_values(sub)
            del changes["submission_key"]
            changes.update(
                state=SaleState.PENDING.value,
                version=existing.version + 1,
                next_attempt_at=max(existing.next_attempt_at, sub.created_at)
                if existing.state is SaleState.PENDING
                else sub.created_at,
                error_kind=None,
                last_error=None,
                updated_at=time.time(),
            )
            if existing.state is SaleState.FAILED:
                changes.update(attempts=0, delay_notified=False)
            try:
                with ack_connection(self.ack_engine, _left(deadline)) as conn:
                    # Compare-and-set: a dispatcher that claimed the row first (version moved
                    # on) wins, and we look again; once we win, its stale claim fails instead.
                    result = conn.execute(
                        update(sales)
                        .where(sales.c.id == existing.id, sales.c.version == existing.version)
                        .values(**changes)
                    )
                    replaced = result.rowcount == 1
                    if not guard.may_commit():
                        conn.rollback()
                        raise MaybeStored("gave up before committing the correction")
                    conn.commit()
            except Exception as error:
                raise MaybeStored(_reason(error)) from error
            if replaced:
                log.info("sale %s: replaced by the corrected resubmission of its form", existing.id)
                record = self._get_by_key(sub.submission_key, deadline)
                if record is None:
                    raise MaybeStored("the corrected sale could not be read back")
                return record, True
        raise MaybeStored("the earlier submission kept changing")

    # --- reading ----------------------------------------------------------------

    def get(self, sale_id: int) -> SaleRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sales).where(sales.c.id == sale_id)).first()
        return SaleRecord.from_row(row) if row else None

    def get_by_key(self, submission_key: str, *, timeout: float = ACK_DB_TIMEOUT) -> SaleRecord | None:
        return _read_within(timeout, lambda: self._select_by_key(submission_key, timeout))

    def _select_by_key(self, submission_key: str, timeout: float) -> SaleRecord | None:
        with ack_connection(self.ack_engine, timeout) as conn:
            row = conn.execute(select(sales).where(sales.c.submission_key == submission_key)).first()
        return SaleRecord.from_row(row) if row else None

    def recent_for_user(self, user_id: str, limit: int = 10, *, timeout: float = ACK_DB_TIMEOUT) -> list[SaleRecord]:
        """For /logsale history, inside its ack: raises after about ``timeout`` s."""
        query = select(sales).where(sales.c.user_id == user_id).order_by(sales.c.id.desc()).limit(limit)

        def read() -> list[SaleRecord]:
            with ack_connection(self.ack_engine, timeout) as conn:
                return [SaleRecord.from_row(row) for row in conn.execute(query)]

        return _read_within(timeout, read)

    def known_skus(self, limit: int = 500, *, timeout: float = ACK_DB_TIMEOUT) -> set[str]:
        """For one-line entry, before the modal opens: raises after about ``timeout`` s."""
        query = select(sales.c.product_sku).order_by(sales.c.id.desc()).limit(limit)

        def read() -> set[str]:
            with ack_connection(self.ack_engine, timeout) as conn:
                return {sku for (sku,) in conn.execute(query) if sku}

        return _read_within(timeout, read)

    def leadsquared_ids_for_lead(self, prospect_id: str, *, other_than: int) -> frozenset[str]:
        """Activity ids other sales to this lead already own."""
        query = select(sales.c.leadsquared_id).where(
            sales.c.prospect_id == prospect_id, sales.c.id != other_than, sales.c.leadsquared_id.is_not(None)
        )
        with self.engine.connect() as conn:
            return frozenset(str(i) for (i,) in conn.execute(query))

    def has_backlog(self, now: float | None = None, *, timeout: float = ACK_DB_TIMEOUT) -> bool:
        """Is any sale due or being posted right now (i.e. waiting for LeadSquared calls)?
        Asked by lookups made for Slack requests: raises after about ``timeout`` s."""
        now = time.time() if now is None else now
        busy = or_(
            and_(sales.c.state == SaleState.PENDING.value, sales.c.next_attempt_at <= now),
            sales.c.state == SaleState.POSTING.value,
        )

        def read() -> bool:
            with ack_connection(self.ack_engine, timeout) as conn:
                return conn.execute(select(sales.c.id).where(busy).limit(1)).first() is not None

        return _read_within(timeout, read)

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
        # Only what the compare-and-set needs: with several threads racing for the same few rows,
        # reading and decoding whole sales that others then took was most of a claim's CPU.
        query = (
            select(sales.c.id, sales.c.version, sales.c.state, sales.c.attempts, sales.c.maybe_posted)
            .where(due)
            .order_by(sales.c.next_attempt_at, sales.c.id)
            .limit(8)
        )
        with self._claim_turn:
            with self.engine.connect() as conn:
                candidates = conn.execute(query).all()
            for candidate in candidates:
                # A row left "posting" by a dead process may have reached LeadSquared.
                abandoned = candidate.state == SaleState.POSTING.value
                changes = {
                    "state": SaleState.POSTING.value,
                    "claimed_by": worker_id,
                    "lease_until": now + lease_seconds,
                    "attempts": candidate.attempts + 1,
                    "maybe_posted": bool(candidate.maybe_posted) or abandoned,
                }
                if self._compare_and_set(candidate, changes, now=now):
                    claimed = candidate.id
                    break
            else:
                return None
        return self.get(claimed)

    def extend_lease(self, record: SaleRecord, *, lease_seconds: float) -> SaleRecord | None:
        """Keep a row while still working on it; None if another worker took it over."""
        now = time.time()
        lease_until = now + lease_seconds
        if self._compare_and_set(record, {"lease_until": lease_until}, now=now):
            # The row was ``record`` (same version) and now differs by exactly these: no re-read.
            return replace(record, lease_until=lease_until, version=record.version + 1, updated_at=now)
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
        # As claim_next: only what the compare-and-set needs, the claimed one is read whole.
        query = (
            select(notifications.c.id, notifications.c.version, notifications.c.attempts)
            .where(due)
            .order_by(notifications.c.next_attempt_at, notifications.c.id)
            .limit(8)
        )
        with self.engine.connect() as conn:
            candidates = conn.execute(query).all()
        for candidate in candidates:
            changes = {
                "state": NotificationState.SENDING.value,
                "claimed_by": worker_id,
                "lease_until": now + lease_seconds,
                "attempts": candidate.attempts + 1,
            }
            if self._notification_cas(candidate, changes, now=now):
                return self.get_notification(candidate.id)
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


def _left(deadline: float) -> float:
    """What is left of an ack-path budget (at least a sliver, so a statement can still run)."""
    return max(0.05, deadline - time.monotonic())


def _reason(error: BaseException) -> str:
    """One line for the log: the driver's message without the SQL and parameters."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"


# How long past its own limits an ack-path call is waited for before it is abandoned.
_GRACE = 0.2
_TIMED_OUT = object()


_jobs = threading.local()  # the _AckJob the current thread runs, if any


class _AckJob:
    """One piece of ack-path database work on its own thread. When the caller gives up, the
    connection it uses is cut, so the thread (and the pool's connection) isn't stuck forever
    on a network path that swallows packets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dbapi_connection = None
        self._abandoned = False

    def using(self, conn: Connection) -> None:
        with self._lock:
            self._dbapi_connection = conn.connection.dbapi_connection
            abandoned = self._abandoned
        if abandoned:
            self.cut()

    def done_with_connection(self) -> None:
        # Back to the pool: from now on it may be someone else's, never to be cut by us.
        with self._lock:
            self._dbapi_connection = None

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
        self.cut()

    def cut(self) -> None:
        with self._lock:
            dbapi_connection = self._dbapi_connection
        if dbapi_connection is not None:
            _cut(dbapi_connection)


def _cut(dbapi_connection) -> None:
    """Make the call blocked on this connection fail now; SQLAlchemy then drops the connection."""
    with contextlib.suppress(Exception):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.interrupt()
            return
        # psycopg: shut the socket down under it, so its wait for an answer ends.
        fd = os.dup(dbapi_connection.pgconn.socket)
        with socket.socket(fileno=fd) as sock:
            sock.shutdown(socket.SHUT_RDWR)


class _SpareThreads:
    """Runs each job at once on an idle thread, or on a new one when none is idle: a job stuck on
    a dead connection never makes the next one wait, as a fixed pool would. A thread idle for
    ``idle_seconds`` ends. (A new thread per call, as before, cost a thread's start-up on every
    ack.) Daemon threads, so one stuck on a dead connection never holds up the process's exit."""

    def __init__(self, name: str, idle_seconds: float = 60.0) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting in _jobs.get(); each job put is taken by one of them
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()

    def run(self, job) -> None:
        with self._lock:
            if self._idle:
                self._idle -= 1
                self._jobs.put(job)
                return
        threading.Thread(target=self._serve, args=(job,), daemon=True, name=self.name).start()

    def _serve(self, job) -> None:
        thread_names.name_this_thread(self.name)
        while True:
            job()
            with self._lock:
                self._idle += 1
            try:
                job = self._jobs.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    try:  # a job put while the wait was ending is this thread's to run
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        self._idle -= 1
                        return


_ack_threads = _SpareThreads(thread_names.DB_ACK)  # for calls made by the threads that ack
_other_threads = _SpareThreads(thread_names.DB_BOUNDED)  # for the rest (after an ack: named apart)


def _threads_for_caller() -> _SpareThreads:
    # Listeners run on the request's thread (bot/app.py): its calls are the ones an ack waits for.
    return _ack_threads if thread_names.role() == thread_names.REQUEST else _other_threads


def _run_until(deadline: float, work):
    """work() on a thread of its own (_SpareThreads): its result (or its exception), or
    _TIMED_OUT at the deadline."""
    outcome: dict = {}
    done = threading.Event()
    job = _AckJob()

    def run() -> None:
        _jobs.current = job
        try:
            outcome["result"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = error
        finally:
            _jobs.current = None
        done.set()

    _threads_for_caller().run(run)
    if not done.wait(max(0.0, deadline - time.monotonic())):
        job.abandon()
        return _TIMED_OUT
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _read_within(timeout: float, read):
    outcome = _run_until(time.monotonic() + timeout + _GRACE, read)
    if outcome is _TIMED_OUT:
        raise TimeoutError(f"the database didn't answer within {timeout:g} s")
    return outcome


class _CommitGuard:
    """Lets enqueue() give up at its deadline and still know whether anything was stored:
    the worker asks before each COMMIT, and never sends one after the caller gave up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._abandoned = False
        self._maybe_stored = False

    def may_commit(self) -> bool:
        with self._lock:
            if self._abandoned:
                return False
            self._maybe_stored = True
            return True

    def earlier_press_stored(self) -> None:
        with self._lock:
            self._maybe_stored = True

    def abandon(self) -> bool:
        """The caller gives up. True when nothing was or will be stored."""
        with self._lock:
            self._abandoned = True
            return not self._maybe_stored
