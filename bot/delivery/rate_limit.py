"""LeadSquared's rate limit, shared by every process through the database.

The limit is per LeadSquared account ("25 calls per 5 seconds"), so it can't live in
one process's memory when gunicorn runs several workers or a deploy runs several dynos.
We keep a sliding-window log — the times of the last `calls` calls — in one row, and
take a slot in a transaction that holds the row's write lock from its first statement.
A sliding window never lets more than `calls` through in any `seconds`-long span, which
also satisfies a fixed-window server.

A slot is taken just before the call is sent and stamped again with the time LeadSquared's
answer came back (``Slot.answered``). LeadSquared counts a call somewhere between its arrival
and its answer, which is after we send it and before we hear back: measured from the answer,
our window never ends before LeadSquared's does, however long the network or a busy machine
took, so no safety margin has to be guessed for it.

Until the answer, the slot is held: its stamp is the send time plus ``max_flight`` (the longest
a call can take before the client gives up), so a call still in flight when its window would
have ended keeps its place, and a slot whose answer is never stamped (the database was busy,
the process died mid-call) counts for longer rather than too short. Other readers see a held
stamp as a call made at that later time: a longer wait, never an extra call.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot import metrics
from bot.delivery.outbox import ACK_DB_TIMEOUT, ack_connection, ack_engine_for, create_tables
from bot.delivery.schema import rate_limit_windows

log = logging.getLogger(__name__)

# What is left of the old 0.3 s margin once slots are restamped at the answer (see above):
# LeadSquared may round its clock or count a call at a slightly later point than we hear of
# it; 50 ms covers that and costs about 1 % of a 5 s window.
ANSWER_MARGIN = 0.05
# How often a caller looks again when the slot it waits for is a call still in flight: it
# frees up a window after its answer, which may come any moment.
IN_FLIGHT_POLL = 0.1


class Slot:
    """A call's place in the shared window, taken by ``acquire``. Truthy: the call may go.
    ``stamp`` is its entry in the log: held (send time + max_flight) until answered."""

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
        max_flight: float = 25.0,
        clock=time.time,
        sleep=time.sleep,
    ):
        self.engine = engine
        self.calls = calls
        self.window = seconds + margin
        self.max_flight = max_flight  # the longest call of the clients sharing this limiter
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
        """Take a slot for a call that is over as it is taken (stamped now, not held) and
        return 0, or return how many seconds until one frees up."""
        return self._take(quick, hold=False)[0]

    def _take(self, quick: bool, hold: bool = True) -> tuple[float, float | None]:
        """(0, the slot's stamp) or (seconds until a slot frees up, None)."""
        for _ in range(2):
            with self._connection(quick) as conn:
                stamps = self._locked_stamps(conn)
                if stamps is not None:
                    now = self._clock()
                    live = [t for t in stamps if t > now - self.window]
                    if len(live) >= self.calls:
                        return self._wait_for_slot(live, now), None  # rolled back: nothing changed
                    held = now + self.max_flight if hold else now
                    live.append(held)
                    live.sort()  # a restamped slot may lie ahead of an older clock reading
                    self._write_stamps(conn, live[-self.calls :])
                    return 0.0, held
            self._ensure_row(self._ack_engine if quick else self.engine)
        return 0.05, None  # the row was removed twice over: let the caller back off briefly

    def _locked_stamps(self, conn: Connection) -> list[float] | None:
        """Lock the window's row until ``conn``'s transaction ends and read it (None: no row).

        The first statement is a write (both databases let one transaction at a time hold it), so
        nothing changes the window between this read and ``_write_stamps``: threads and processes
        queue for the row instead of reading, colliding on a compare-and-set and starting over
        (a burst's dispatchers tried 5 to 9 times a sale that way)."""
        row = conn.execute(
            update(rate_limit_windows)
            .where(rate_limit_windows.c.name == self.name)
            .values(version=rate_limit_windows.c.version + 1)
            .returning(rate_limit_windows.c.stamps)
        ).first()
        return None if row is None else json.loads(row.stamps)

    def _write_stamps(self, conn: Connection, stamps: list[float]) -> None:
        conn.execute(
            update(rate_limit_windows).where(rate_limit_windows.c.name == self.name).values(stamps=json.dumps(stamps))
        )
        conn.commit()

    def _wait_for_slot(self, stamps: list[float], now: float) -> float:
        """Seconds until, at the earliest, fewer than ``calls`` of ``stamps`` (all live) remain.
        A held stamp (a call in flight) frees up no sooner than a window after it was sent."""
        ends = sorted((t - self.max_flight if t > now else t) + self.window for t in stamps)
        soonest = ends[len(stamps) - self.calls]
        if soonest <= now:
            return IN_FLIGHT_POLL  # the call holding it has been out longer than a window
        return max(0.001, soonest - now)

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
        """Move ``slot`` from its held stamp to now (the answer), keeping the log in order. A
        slot already gone from the log (its hold ran out) is left alone. Never raises: the call
        is over, and a slot left held counts for longer than it needs to, never shorter."""
        try:
            with self._connection(slot.quick) as conn:
                stamps = self._locked_stamps(conn)
                if stamps is None or slot.stamp not in stamps:
                    return
                now = self._clock()
                stamps[stamps.index(slot.stamp)] = now
                stamps.sort()
                self._write_stamps(conn, stamps)
            slot.stamp = now
        except Exception as error:
            log.warning("could not restamp a LeadSquared call in the shared window: %s", type(error).__name__)

    def saturate(self) -> None:
        """LeadSquared said we're over the limit (another integration shares the account):
        fill the window so every process pauses for a whole window. Calls still in flight keep
        their held slots: LeadSquared may count them after the pause begins."""
        for _ in range(2):
            with self.engine.connect() as conn:
                stamps = self._locked_stamps(conn)
                if stamps is not None:
                    now = self._clock()
                    in_flight = [t for t in stamps if t > now]
                    self._write_stamps(conn, sorted([now] * self.calls + in_flight))
                    return
            self._ensure_row()


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
