"""LeadSquared's rate limit, shared by every process through the database.

The limit is per LeadSquared account ("25 calls per 5 seconds"), so it can't live in
one process's memory when gunicorn runs several workers or a deploy runs several dynos.
We keep a sliding-window log — the times of the last `calls` calls — in one row, and
take a slot with a compare-and-set on its version. A sliding window never lets more than
`calls` through in any `seconds`-long span, which also satisfies a fixed-window server.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import metrics
from bot.delivery.outbox import ACK_DB_TIMEOUT, ack_connection, ack_engine_for, create_tables
from bot.delivery.schema import rate_limit_windows

log = logging.getLogger(__name__)


class SharedRateLimiter:
    """acquire() blocks until a call may be made, or gives up after max_wait."""

    def __init__(
        self,
        engine: Engine,
        calls: int,
        seconds: float,
        *,
        name: str = "leadsquared",
        margin: float = 0.3,
        clock=time.time,
        sleep=time.sleep,
    ):
        self.engine = engine
        self.calls = calls
        # Our clock stamps a call when it leaves; LeadSquared counts it when it arrives.
        # A small margin keeps network jitter from squeezing one call too many into a window.
        self.window = seconds + margin
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._local = threading.Lock()  # fewer CAS collisions among this process's threads
        # Lookups made for Slack requests ask with a max_wait: they wait for the database briefly too.
        self._ack_engine = ack_engine_for(engine)
        create_tables(engine, [rate_limit_windows])
        self._ensure_row()

    def _ensure_row(self, engine: Engine | None = None) -> None:
        try:
            with (engine or self.engine).begin() as conn:
                conn.execute(insert(rate_limit_windows).values(name=self.name, stamps="[]", version=0))
        except IntegrityError:
            pass

    def try_acquire(self, *, quick: bool = False) -> float:
        """Take a slot now and return 0, or return how many seconds until one frees up.
        quick: for a Slack request, whose database waits are bounded by ACK_DB_TIMEOUT."""
        engine = self._ack_engine if quick else self.engine

        def connection():
            return ack_connection(engine, ACK_DB_TIMEOUT) if quick else engine.connect()

        for _ in range(50):
            with connection() as conn:
                row = conn.execute(
                    select(rate_limit_windows.c.stamps, rate_limit_windows.c.version).where(
                        rate_limit_windows.c.name == self.name
                    )
                ).first()
            if row is None:
                self._ensure_row(engine)
                continue
            now = self._clock()
            stamps = [t for t in json.loads(row.stamps) if t > now - self.window]
            if len(stamps) >= self.calls:
                return max(0.001, stamps[-self.calls] + self.window - now)
            stamps.append(now)
            with connection() as conn:
                result = conn.execute(
                    update(rate_limit_windows)
                    .where(rate_limit_windows.c.name == self.name, rate_limit_windows.c.version == row.version)
                    .values(stamps=json.dumps(stamps[-self.calls :]), version=row.version + 1)
                )
                conn.commit()
            if result.rowcount == 1:
                return 0.0
        return 0.05  # heavy contention: let the caller back off briefly

    def acquire(self, max_wait: float | None = None) -> bool:
        started = self._clock()
        deadline = None if max_wait is None else started + max_wait
        while True:
            with self._local:
                wait = self.try_acquire(quick=max_wait is not None)
            if wait == 0:
                metrics.observe_limiter_wait(self.name, True, self._clock() - started)
                return True
            if deadline is not None and self._clock() + wait > deadline:
                metrics.observe_limiter_wait(self.name, False, self._clock() - started)
                return False
            # Jitter so processes that wake together don't collide on the same row.
            self._sleep(wait + random.uniform(0, 0.05))

    def saturate(self) -> None:
        """LeadSquared said we're over the limit (another integration shares the account):
        fill the window so every process pauses for a whole window."""
        for _ in range(50):
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(rate_limit_windows.c.version).where(rate_limit_windows.c.name == self.name)
                ).first()
            if row is None:
                self._ensure_row()
                continue
            stamps = [self._clock()] * self.calls
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(rate_limit_windows)
                    .where(rate_limit_windows.c.name == self.name, rate_limit_windows.c.version == row.version)
                    .values(stamps=json.dumps(stamps), version=row.version + 1)
                )
            if result.rowcount == 1:
                return


class SalesFirstLimiter:
    """The shared limit as seen by lookups (search, owner check, lead at submission).

    Sales come first: while any sale is waiting to be posted, lookups get no slot (the
    caller then answers from its cache, or without the check) instead of taking calls a
    burst of sales needs. Otherwise it is the shared limiter itself.
    """

    def __init__(self, limiter: SharedRateLimiter, has_backlog):
        self.limiter = limiter
        self._has_backlog = has_backlog

    def acquire(self, max_wait: float | None = None) -> bool:
        try:
            if self._has_backlog():
                return False
            return self.limiter.acquire(max_wait)
        except Exception as error:
            # The database is locked or away: no call for a lookup (it answers from its
            # cache or without the check); sales keep the calls when it is back.
            log.warning("lookup gets no LeadSquared call: database unavailable (%s)", type(error).__name__)
            return False

    def saturate(self) -> None:
        self.limiter.saturate()
