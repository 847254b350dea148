"""LeadSquared's rate limit, shared by every process through the database.

The limit is per LeadSquared account ("25 calls per 5 seconds"), so it can't live in
one process's memory when gunicorn runs several workers or a deploy runs several dynos.
We keep a sliding-window log — the times of the last `calls` calls — in one row, and
take a slot with a compare-and-set on its version. A sliding window never lets more than
`calls` through in any `seconds`-long span, which also satisfies a fixed-window server.

A slot is stamped when it is taken (just before the call is sent) and stamped again with the
time LeadSquared's answer came back (``Slot.answered``). LeadSquared counts a call when it
arrives, which is after we send it and before we hear back: measured from the answer, our
window never ends before LeadSquared's does, however long the network or a busy machine
took, so no safety margin has to be guessed for it.
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

# What is left of the old 0.3 s margin once slots are restamped at the answer (see above):
# LeadSquared may round its clock or count a call at a slightly later point than we hear of
# it; 50 ms covers that and costs about 1 % of a 5 s window.
ANSWER_MARGIN = 0.05


class Slot:
    """A call's place in the shared window, taken by ``acquire``. Truthy: the call may go."""

    __slots__ = ("limiter", "stamp", "quick")

    def __init__(self, limiter: SharedRateLimiter, stamp: float, quick: bool):
        self.limiter = limiter
        self.stamp = stamp
        self.quick = quick

    def answered(self) -> None:
        """LeadSquared answered (or the call failed): the slot counts from now."""
        self.limiter.restamp(self)


class SharedRateLimiter:
    """acquire() blocks until a call may be made, or gives up after max_wait."""

    def __init__(
        self,
        engine: Engine,
        calls: int,
        seconds: float,
        *,
        name: str = "leadsquared",
        margin: float = ANSWER_MARGIN,
        clock=time.time,
        sleep=time.sleep,
    ):
        self.engine = engine
        self.calls = calls
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

    def _connection(self, quick: bool):
        """quick: for a Slack request, whose database waits are bounded by ACK_DB_TIMEOUT."""
        if quick:
            return ack_connection(self._ack_engine, ACK_DB_TIMEOUT)
        return self.engine.connect()

    def try_acquire(self, *, quick: bool = False) -> float:
        """Take a slot now and return 0, or return how many seconds until one frees up."""
        return self._take(quick)[0]

    def _take(self, quick: bool) -> tuple[float, float | None]:
        """(0, the slot's stamp) or (seconds until a slot frees up, None)."""
        engine = self._ack_engine if quick else self.engine

        def connection():
            return self._connection(quick)

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
                return max(0.001, stamps[-self.calls] + self.window - now), None
            stamps.append(now)
            stamps.sort()  # a restamped slot may lie ahead of an older clock reading
            with connection() as conn:
                result = conn.execute(
                    update(rate_limit_windows)
                    .where(rate_limit_windows.c.name == self.name, rate_limit_windows.c.version == row.version)
                    .values(stamps=json.dumps(stamps[-self.calls :]), version=row.version + 1)
                )
                conn.commit()
            if result.rowcount == 1:
                return 0.0, now
        return 0.05, None  # heavy contention: let the caller back off briefly

    def acquire(self, max_wait: float | None = None) -> Slot | bool:
        """A Slot (truthy) once a call may be made; False after ``max_wait`` seconds."""
        started = self._clock()
        deadline = None if max_wait is None else started + max_wait
        quick = max_wait is not None
        while True:
            with self._local:
                wait, stamp = self._take(quick)
            if stamp is not None:
                metrics.observe_limiter_wait(self.name, True, self._clock() - started)
                return Slot(self, stamp, quick)
            if deadline is not None and self._clock() + wait > deadline:
                metrics.observe_limiter_wait(self.name, False, self._clock() - started)
                return False
            # Jitter so processes that wake together don't collide on the same row.
            self._sleep(wait + random.uniform(0, 0.05))

    def restamp(self, slot: Slot) -> None:
        """Move ``slot`` to now (the answer), keeping the log in order. A slot already gone
        from the log (expired, or replaced by ``saturate``) is left alone. Never raises: the
        call is over, and at worst the window ends as early as the send-time stamp says."""
        try:
            for _ in range(50):
                with self._connection(slot.quick) as conn:
                    row = conn.execute(
                        select(rate_limit_windows.c.stamps, rate_limit_windows.c.version).where(
                            rate_limit_windows.c.name == self.name
                        )
                    ).first()
                if row is None:
                    return
                stamps = json.loads(row.stamps)
                if slot.stamp not in stamps:
                    return
                now = max(self._clock(), slot.stamp)
                stamps[stamps.index(slot.stamp)] = now
                stamps.sort()
                with self._connection(slot.quick) as conn:
                    result = conn.execute(
                        update(rate_limit_windows)
                        .where(rate_limit_windows.c.name == self.name, rate_limit_windows.c.version == row.version)
                        .values(stamps=json.dumps(stamps), version=row.version + 1)
                    )
                    conn.commit()
                if result.rowcount == 1:
                    slot.stamp = now
                    return
        except Exception as error:
            log.warning("could not restamp a LeadSquared call in the shared window: %s", type(error).__name__)

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

    def acquire(self, max_wait: float | None = None) -> Slot | bool:
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
