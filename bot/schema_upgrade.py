"""Brings a database to the newest schema revision (bot/migrations, Alembic), at every start
and with `python -m bot migrate`.

Several workers start at once: one upgrades while the others wait for it (PostgreSQL: an
advisory lock per schema; SQLite: an exclusive lock on a file beside the database), then find
the database at head and do nothing. Nobody waits past ``deadline_seconds``.

A database made before migrations existed (create_all, no alembic_version table) is
recognised by its tables: with logsale_sales it is stamped 0001 (the first release's schema),
and revision 0002 looks before each step, so the tables a later create_all already made are
kept as they are, with their rows.

A database already at head (every start but the first after a release) is recognised by a
plain query of its alembic_version, without importing Alembic (about 0.1 s and 10 MB a worker).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"
UPGRADE_DEADLINE = 15.0  # gunicorn gives a booting worker 30 s


class UpgradeTimeout(Exception):
    """Another process held the migration lock for the whole deadline."""


@dataclass(frozen=True)
class Upgrade:
    before: str | None  # None: an empty database (or one made before migrations, see stamped)
    after: str
    stamped: bool = False  # made by create_all before migrations: recognised and stamped 0001


def target_metadata() -> MetaData:
    """Every table the code declares (bot/delivery/schema.py), copied into a MetaData of its own
    so a caller (autogenerate, the schema test) can change it without touching the code's."""
    from bot.delivery.schema import metadata

    combined = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(combined)
    return combined


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


_REVISION_RE = re.compile(r"""^(down_revision|revision)\s*=\s*(?:None|["']([^"']+)["'])""", re.MULTILINE)


def head_revision() -> str:
    """The revision no other revision file names as its down_revision, read from the files
    themselves (Alembic agrees: tests/unit/test_migrations.py), so the check at start needs no Alembic."""
    revisions, downs = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((name, value) for name, value in _REVISION_RE.findall(path.read_text(encoding="utf-8")))
        if found.get("revision"):
            revisions.add(found["revision"])
            if found.get("down_revision"):
                downs.add(found["down_revision"])
    heads = revisions - downs
    if len(heads) != 1:
        raise RuntimeError(f"bot/migrations should have one head revision, found {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _at_head(engine: Engine, head: str) -> bool:
    """Is the database stamped with exactly ``head``? (A plain query: no Alembic, no lock.)"""
    try:
        with engine.connect() as conn:
            found = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    except SQLAlchemyError:
        return False  # no alembic_version table yet, or the database is busy: the full path decides
    return found == [head]


def upgrade_database(engine: Engine, *, deadline_seconds: float = UPGRADE_DEADLINE) -> Upgrade:
    """Upgrade to head (idempotent; safe from several processes at once)."""
    head = head_revision()
    if _at_head(engine, head):
        return Upgrade(before=head, after=head)
    deadline = time.monotonic() + deadline_seconds
    delay = 0.05
    while True:
        try:
            with _migration_lock(engine, deadline) as conn:
                return _upgrade(conn)
        except (SQLAlchemyError, OSError) as error:
            # e.g. SQLite "database is locked" behind a running worker's write: look again.
            if time.monotonic() + delay > deadline:
                raise
            log.info("upgrading the schema: %s; trying again", str(error).splitlines()[0][:200])
            time.sleep(delay * random.uniform(1.0, 2.0))
            delay = min(delay * 2, 1.0)


def _upgrade(conn: Connection) -> Upgrade:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(conn)
    head = ScriptDirectory.from_config(config).get_current_head()
    before = MigrationContext.configure(conn).get_current_revision()
    stamped = False
    if before is None and inspect(conn).has_table("logsale_sales"):
        command.stamp(config, FIRST_REVISION)
        conn.commit()
        stamped = True
        log.info("database made before migrations: stamped %s", FIRST_REVISION)
    if before != head:
        command.upgrade(config, "head")
        conn.commit()
        after = MigrationContext.configure(conn).get_current_revision()
        log.info("database schema upgraded from %s to %s", before or ("create_all" if stamped else "empty"), after)
    else:
        after = head
    return Upgrade(before=before, after=after, stamped=stamped)


@contextlib.contextmanager
def _migration_lock(engine: Engine, deadline: float) -> Iterator[Connection]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, _advisory_lock(conn, deadline):
            yield conn
    elif engine.dialect.name == "sqlite":
        with _file_lock(engine.url.database, deadline), engine.connect() as conn:
            yield conn
    else:
        with engine.connect() as conn:
            yield conn


@contextlib.contextmanager
def _advisory_lock(conn: Connection, deadline: float) -> Iterator[None]:
    # Session-level, keyed on the schema: tests (and tenants) sharing a database in their own
    # schemas don't wait for each other.
    key = "hashtext('logsale-migrations:' || current_schema())"
    while not conn.execute(text(f"SELECT pg_try_advisory_lock({key})")).scalar():
        conn.commit()
        if time.monotonic() > deadline:
            raise UpgradeTimeout("another process kept the schema-migration lock past the deadline")
        time.sleep(random.uniform(0.05, 0.2))
    conn.commit()
    try:
        yield
    finally:
        try:
            conn.rollback()
            conn.execute(text(f"SELECT pg_advisory_unlock({key})"))
            conn.commit()
        except SQLAlchemyError:
            # A session lock lives as long as its session: never hand it back to the pool held.
            conn.invalidate()


@contextlib.contextmanager
def _file_lock(database: str | None, deadline: float) -> Iterator[None]:
    if not database or database == ":memory:" or database.startswith("file:"):
        yield  # one process's private database: nobody to race
        return
    try:
        import fcntl
    except ImportError:  # Windows: rely on the retries in upgrade_database
        yield
        return
    path = f"{database}.migrate-lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only directory: nobody can create tables there either; let SQLite say so
        yield
        return
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UpgradeTimeout("another process kept the schema-migration lock past the deadline") from None
                time.sleep(random.uniform(0.05, 0.2))
        yield
    finally:
        os.close(fd)  # releases the lock
