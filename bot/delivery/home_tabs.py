"""Which App Home tabs need publishing again, shared by every process through the database.

A sale changes state in whichever process posted it (or in `python -m bot queue`), but
the Home belongs to the user, not to a process. So a change only *asks* for a refresh
(``request_refresh``: one UPDATE), and a refresher thread in every web process claims due
users with a compare-and-set on ``published_at`` and publishes once for all the changes
asked since: a burst of state changes costs one views.publish per user per
``min_interval`` seconds, whichever process notices first.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.delivery.schema import home_tabs, metadata

# Which of some users have a Home not already waiting for its refresh. Built once: this runs
# after every stored sale, and building the statement cost as much CPU as running it (SQLite).
_WAITING_FOR_REFRESH = select(home_tabs.c.user_id).where(
    home_tabs.c.user_id.in_(bindparam("ids", expanding=True)), home_tabs.c.requested_at <= home_tabs.c.published_at
)


class HomeTabs:
    def __init__(self, engine: Engine):
        self.engine = engine

    def create_schema(self) -> None:
        try:
            metadata.create_all(self.engine, tables=[home_tabs], checkfirst=True)
        except Exception:  # several workers creating it at once: the loser sees it exists
            metadata.create_all(self.engine, tables=[home_tabs], checkfirst=True)

    def opened(self, user_id: str, *, now: float | None = None) -> None:
        """The user opened the Home and we publish it right now."""
        now = time.time() if now is None else now
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(home_tabs).values(user_id=user_id, opened_at=now, requested_at=now, published_at=now)
                )
        except IntegrityError:
            with self.engine.begin() as conn:
                conn.execute(
                    update(home_tabs).where(home_tabs.c.user_id == user_id).values(opened_at=now, published_at=now)
                )

    def request_refresh(self, user_ids: Iterable[str], *, now: float | None = None) -> int:
        """Something on these users' tabs changed. Returns how many were marked (those with a Home
        not already waiting for a refresh)."""
        ids = sorted({u for u in user_ids if u})
        if not ids:
            return 0
        now = time.time() if now is None else now
        # Read first: most salespeople never open the Home, and one already waiting for its
        # refresh gets it (the publish reads the outbox after its claim). Only the rest cost a
        # write, which on SQLite would queue behind every other writer in a burst.
        with self.engine.connect() as conn:
            stale = [row[0] for row in conn.execute(_WAITING_FOR_REFRESH, {"ids": ids})]
        if not stale:
            return 0
        with self.engine.begin() as conn:
            result = conn.execute(update(home_tabs).where(home_tabs.c.user_id.in_(stale)).values(requested_at=now))
        return result.rowcount

    def claim_due(self, *, min_interval: float, now: float | None = None, limit: int = 20) -> list[str]:
        """Users whose tab changed since its last publish, published at least ``min_interval``
        ago, now claimed by this caller (no other process will publish them this round)."""
        now = time.time() if now is None else now
        due = and_(home_tabs.c.requested_at > home_tabs.c.published_at, home_tabs.c.published_at <= now - min_interval)
        query = select(home_tabs.c.user_id, home_tabs.c.published_at).where(due).limit(limit)
        with self.engine.connect() as conn:
            candidates = list(conn.execute(query))
        claimed = []
        for user_id, published_at in candidates:
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(home_tabs)
                    .where(home_tabs.c.user_id == user_id, home_tabs.c.published_at == published_at)
                    .values(published_at=now)
                )
            if result.rowcount == 1:
                claimed.append(user_id)
        return claimed
