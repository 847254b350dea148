"""Sales-owner verdicts shared by every process (the ``verdict_store`` of
bot.leadsquared.search.OwnerCheck): a form opened on one worker and submitted on another asks
LeadSquared's User/Retrieve/ByEmailAddress once, not twice. All LeadSquared calls count against
the account's rate limit, sales included.

Reads happen while Slack waits (a submission's owner check): they go through the ack engine
and give up after ``timeout`` seconds, raising; OwnerCheck then asks LeadSquared instead.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from bot.delivery.outbox import ACK_DB_TIMEOUT, _read_within, ack_connection, ack_engine_for
from bot.delivery.schema import owner_verdicts


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
        """Store (or replace) the verdict for ``email``."""
        dialect = self.ack_engine.dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(owner_verdicts).values(email=email, active=active, expires_at=expires_at)
        statement = statement.on_conflict_do_update(
            index_elements=[owner_verdicts.c.email], set_={"active": active, "expires_at": expires_at}
        )

        def write() -> None:
            with ack_connection(self.ack_engine, self.timeout) as conn:
                conn.execute(statement)
                conn.commit()

        _read_within(self.timeout, write)
