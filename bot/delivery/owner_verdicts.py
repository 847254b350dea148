"""Sales-owner verdicts shared by every process (the ``verdict_store`` of
bot.leadsquared.search.OwnerCheck): a form opened on one worker and submitted on another asks
LeadSquared's User/Retrieve/ByEmailAddress once, not twice. All LeadSquared calls count against
the account's rate limit, sales included.

Reads happen while Slack waits (a submission's owner check): they go through the ack engine
and give up after ``timeout`` seconds, raising; OwnerCheck then asks LeadSquared instead.

A check under way is shared too (``claim``): when 200 forms open at once across three workers,
each owner is asked about once, not once per worker; a worker that finds the check claimed
waits for the verdict to be stored instead.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from bot.delivery.outbox import ACK_DB_TIMEOUT, _read_within, ack_connection, ack_engine_for
from bot.delivery.schema import owner_checks, owner_verdicts


class OwnerVerdicts:
    def __init__(self, engine: Engine, *, timeout: float = ACK_DB_TIMEOUT):
        self.ack_engine = ack_engine_for(engine)
        self.timeout = timeout

    def get(self, email: str, now: float) -> tuple[bool, float] | None:
        """(active, expires_at) for ``email`` if a verdict is stored that expires after ``now``."""
        query = select(owner_verdicts.c.active, owner_verdicts.c.expires_at).where(
            owner_verdicts.c.email == email, owner_verdicts.c.expires_at > now
        )

        def read() -> tuple[bool, float] | None:
            with ack_connection(self.ack_engine, self.timeout) as conn:
                row = conn.execute(query).first()
            return (bool(row.active), float(row.expires_at)) if row else None

        return _read_within(self.timeout, read)

    def put(self, email: str, active: bool, expires_at: float) -> None:
        """Store (or replace) the verdict for ``email``; the check under way for it is over."""
        statement = self._insert(owner_verdicts).values(email=email, active=active, expires_at=expires_at)
        statement = statement.on_conflict_do_update(
            index_elements=[owner_verdicts.c.email], set_={"active": active, "expires_at": expires_at}
        )

        def write() -> None:
            with ack_connection(self.ack_engine, self.timeout) as conn:
                conn.execute(statement)
                conn.execute(delete(owner_checks).where(owner_checks.c.email == email))
                conn.commit()

        _read_within(self.timeout, write)

    def claim(self, email: str, now: float, seconds: float) -> bool:
        """True: the caller asks LeadSquared about ``email`` now, and for ``seconds`` no other
        process will. False: another process claimed it less than that ago (its verdict is coming)."""
        statement = self._insert(owner_checks).values(email=email, until=now + seconds)
        # A row comes back when one was written: none when a live claim was left as it was.
        # (RETURNING, not rowcount: psycopg's rowcount reads -1 here.)
        statement = statement.on_conflict_do_update(
            index_elements=[owner_checks.c.email], set_={"until": now + seconds}, where=owner_checks.c.until <= now
        ).returning(owner_checks.c.email)

        def write() -> bool:
            with ack_connection(self.ack_engine, self.timeout) as conn:
                claimed = conn.execute(statement).first() is not None
                conn.commit()
            return claimed

        return _read_within(self.timeout, write)

    def release(self, email: str) -> None:
        """The claimed check ended without a verdict: another process may ask at once."""

        def write() -> None:
            with ack_connection(self.ack_engine, self.timeout) as conn:
                conn.execute(delete(owner_checks).where(owner_checks.c.email == email))
                conn.commit()

        _read_within(self.timeout, write)

    def _insert(self, table):
        insert = postgresql_insert if self.ack_engine.dialect.name == "postgresql" else sqlite_insert
        return insert(table)
