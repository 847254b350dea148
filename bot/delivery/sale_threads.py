"""The Slack thread a sale's confirmation belongs in (sales logged from a message shortcut).

A side table keyed like the outbox (``submission_key``), so the outbox's own columns stay
as they are; the notifier asks it before announcing a sale.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.delivery.schema import metadata, sale_threads


class SaleThreads:
    def __init__(self, engine: Engine):
        self.engine = engine

    def create_schema(self) -> None:
        try:
            metadata.create_all(self.engine, tables=[sale_threads], checkfirst=True)
        except Exception:  # several workers creating it at once
            metadata.create_all(self.engine, tables=[sale_threads], checkfirst=True)

    def remember(self, submission_key: str, thread_ts: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(sale_threads).values(submission_key=submission_key, thread_ts=thread_ts))
        except IntegrityError:
            pass  # the same submission again (a resubmit): same thread

    def thread_ts_for(self, submission_key: str) -> str | None:
        query = select(sale_threads.c.thread_ts).where(sale_threads.c.submission_key == submission_key)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()
