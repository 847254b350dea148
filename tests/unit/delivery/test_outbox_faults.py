"""The outbox under real database faults: a locked SQLite file, a read-only one, workers
starting together on a fresh file, a PostgreSQL table locked, restarted, stopped, and a
connection killed at the moment of COMMIT. Also: the same form submitted again with other
content (the salesperson's correction) racing a dispatcher."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from bot.delivery.outbox import (
    ACK_DB_TIMEOUT,
    AlreadySending,
    NotStored,
    Outbox,
    SaleState,
    make_engine,
    sales,
)
from bot.delivery.rate_limit import SalesFirstLimiter, SharedRateLimiter
from bot.domain.model import RawSale
from tests.db_faults import sqlite_locked
from tests.unit.delivery.test_outbox import make_submission

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# Slack's 3 s minus what the rest of an ack needs: every ack-path database call ends by then.
ACK_PATH_LIMIT = 1.5


def sqlite_path(url: str) -> str:
    return url[len("sqlite:///") :]


def row_count(outbox: Outbox) -> int:
    with outbox.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(sales)).scalar_one()


def typed(revenue: str) -> RawSale:
    return RawSale(lead="priya@acme.in", product_sku="SKU-PRO", status="Won", revenue=revenue)


# --- a locked SQLite file -------------------------------------------------------------------


def test_a_locked_sqlite_file_fails_the_enqueue_quickly_and_stores_nothing(sqlite_url):
    outbox = Outbox.from_url(sqlite_url)
    with sqlite_locked(sqlite_path(sqlite_url)):
        started = time.monotonic()
        with pytest.raises(NotStored):
            outbox.enqueue(make_submission())
        assert time.monotonic() - started < ACK_PATH_LIMIT
    assert row_count(outbox) == 0
    record, queued = outbox.enqueue(make_submission())  # pressed again once the lock is gone
    assert queued and record.state is SaleState.PENDING


def test_lookups_get_no_call_while_the_database_is_locked_instead_of_waiting(sqlite_url):
    outbox = Outbox.from_url(sqlite_url)
    lookups = SalesFirstLimiter(SharedRateLimiter(outbox.engine, 25, 5.0), outbox.has_backlog)
    with sqlite_locked(sqlite_path(sqlite_url)):
        started = time.monotonic()
        assert not lookups.acquire(max_wait=0.3)  # the limiter's slot is a write: it can't be taken
        assert time.monotonic() - started < ACK_PATH_LIMIT
    assert lookups.acquire(max_wait=0.3)


def test_background_waits_outlast_a_short_lock(sqlite_url):
    outbox = Outbox.from_url(sqlite_url)
    outbox.enqueue(make_submission())
    claimed: list = []
    with sqlite_locked(sqlite_path(sqlite_url)):
        worker = threading.Thread(target=lambda: claimed.append(outbox.claim_next("w", lease_seconds=60)))
        worker.start()
        time.sleep(ACK_DB_TIMEOUT + 0.7)  # longer than any ack-path wait
    worker.join(10)
    assert claimed and claimed[0] is not None  # the dispatcher waited the lock out


# --- a read-only SQLite file ------------------------------------------------------------------


def chattr(flag: str, *paths: str) -> None:
    subprocess.run(["chattr", flag, *paths], check=True, capture_output=True)


@pytest.fixture
def immutable(sqlite_url):
    """make_read_only() / make_writable(): `chattr +i` on the database and its WAL, so even
    root can't open them for writing (chmod doesn't stop root). The -shm file is left alone:
    SQLite maps it, and an immutable mapping kills the process with SIGBUS."""
    path = sqlite_path(sqlite_url)
    files = [path, path + "-wal"]

    def make_read_only():
        try:
            chattr("+i", *files)
        except (OSError, subprocess.CalledProcessError) as error:
            pytest.skip(f"chattr +i doesn't work here (needs root on ext4/xfs): {error}")

    def make_writable():
        chattr("-i", *files)

    yield make_read_only, make_writable
    with contextlib.suppress(Exception):
        make_writable()


def test_after_a_read_only_spell_the_pool_recovers_without_a_restart(sqlite_url, immutable):
    make_read_only, make_writable = immutable
    outbox = Outbox.from_url(sqlite_url)
    outbox.enqueue(make_submission("T1:before"))
    make_read_only()
    # Several at once, so the pool also opens new connections meanwhile: those open read-only.
    barrier = threading.Barrier(6)
    outcomes: list = []

    def submit(n: int) -> None:
        barrier.wait()
        try:
            outbox.enqueue(make_submission(f"T1:during{n}"))
            outcomes.append("stored")
        except NotStored:
            outcomes.append("not stored")

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["not stored"] * 6
    make_writable()
    # Every connection opened during the fault was read-only for good; they are dropped.
    for n in range(12):
        _record, queued = outbox.enqueue(make_submission(f"T1:after{n}"))
        assert queued
    assert row_count(outbox) == 13
    claimed = outbox.claim_next("w", lease_seconds=60)  # the background engine recovered too
    assert claimed is not None


# --- workers starting together on a fresh file ----------------------------------------------

STARTER = """
import sys
from bot.delivery.outbox import Outbox
from bot.delivery.rate_limit import SharedRateLimiter
from tests.unit.delivery.test_outbox import make_submission
outbox = Outbox.from_url(sys.argv[1])
SharedRateLimiter(outbox.engine, 25, 5.0)
outbox.enqueue(make_submission("T1:" + sys.argv[2]), timeout=10)
"""


def start_together(url: str, n: int) -> list[subprocess.CompletedProcess]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, url, f"P{i}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(n)
    ]
    return [(p.wait(60), p.stdout.read().decode(errors="replace")) for p in processes]


def test_workers_starting_together_on_a_fresh_sqlite_file_all_come_up(tmp_path):
    for round_ in range(4):
        url = f"sqlite:///{tmp_path / f'fresh-{round_}.db'}"
        results = start_together(url, 5)
        failures = [output for code, output in results if code != 0]
        assert not failures, failures[0][-2000:]
        assert row_count(Outbox.from_url(url)) == 5
        with sqlite3.connect(sqlite_path(url)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.postgres
def test_workers_starting_together_on_a_fresh_postgres_schema_all_come_up():
    from tests.postgres import fresh_schema_url, postgres_problem

    if postgres_problem():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 unreachable")
    for _ in range(2):
        with fresh_schema_url() as url:
            results = start_together(url, 5)
            failures = [output for code, output in results if code != 0]
            assert not failures, failures[0][-2000:]
            assert row_count(Outbox.from_url(url)) == 5


# --- the same form again, with other content --------------------------------------------------


def test_a_corrected_resubmission_replaces_the_pending_sale(database_url):
    outbox = Outbox.from_url(database_url)
    first, queued = outbox.enqueue(make_submission(raw=typed("1200"), revenue="1200"))
    assert queued
    again, queued_again = outbox.enqueue(make_submission(raw=typed("1200"), revenue="1200"))
    assert (again.id, queued_again) == (first.id, False)  # Slack's retry: same content
    corrected, queued_corrected = outbox.enqueue(make_submission(raw=typed("12000"), revenue="12000"))
    assert queued_corrected and corrected.id == first.id
    assert (corrected.revenue, corrected.raw.revenue) == ("12000", "12000")
    assert row_count(outbox) == 1
    claimed = outbox.claim_next("w", lease_seconds=60)
    assert claimed.revenue == "12000"


def test_a_corrected_resubmission_after_the_sale_was_claimed_is_refused_not_dropped(database_url):
    outbox = Outbox.from_url(database_url)
    outbox.enqueue(make_submission(raw=typed("1200"), revenue="1200"))
    claimed = outbox.claim_next("w", lease_seconds=60)
    with pytest.raises(AlreadySending) as refused:
        outbox.enqueue(make_submission(raw=typed("12000"), revenue="12000"))
    assert refused.value.record.id == claimed.id
    assert outbox.get(claimed.id).revenue == "1200"  # the sale in flight is untouched


def test_a_correction_racing_the_dispatcher_never_sends_both_and_never_drops_one(database_url):
    outbox = Outbox.from_url(database_url)
    for n in range(25):
        key = f"T1:race{n}"
        outbox.enqueue(make_submission(key, raw=typed("1200"), revenue="1200"))
        barrier = threading.Barrier(2)
        result: dict = {}

        def claim(barrier=barrier, result=result):
            barrier.wait()
            result["claimed"] = outbox.claim_next("w", lease_seconds=60)

        def correct(key=key, barrier=barrier, result=result):
            barrier.wait()
            try:
                result["corrected"] = outbox.enqueue(make_submission(key, raw=typed("12000"), revenue="12000"))
            except AlreadySending:
                result["corrected"] = "refused"

        threads = [threading.Thread(target=claim), threading.Thread(target=correct)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        claimed = result["claimed"] or outbox.claim_next("w", lease_seconds=60)
        if result["corrected"] == "refused":
            # The dispatcher won: it sends what was typed first, and the salesperson is told.
            assert claimed.revenue == "1200"
        else:
            # The correction won: whatever the dispatcher sends is the corrected sale.
            assert claimed.revenue == "12000"
        outbox.finish(claimed, SaleState.DONE, leadsquared_id=f"A{n}")
        assert outbox.claim_next("w", lease_seconds=60) is None  # one sale, sent once


# --- PostgreSQL: a locked table, a killed connection, a restart, an outage --------------------


@pytest.mark.postgres
def test_a_locked_postgres_table_bounds_every_ack_path_call(postgres_url):
    outbox = Outbox.from_url(postgres_url)
    outbox.enqueue(make_submission("T1:old"))
    migration = create_engine(postgres_url).connect()
    migration.execute(text("LOCK TABLE logsale_sales IN ACCESS EXCLUSIVE MODE"))  # an ALTER TABLE, say
    try:
        for call in (
            lambda: outbox.enqueue(make_submission("T1:new")),
            lambda: outbox.recent_for_user("U1"),
            lambda: outbox.known_skus(),
            lambda: outbox.has_backlog(),
        ):
            started = time.monotonic()
            with pytest.raises(Exception):  # noqa: B017 - each raises its own kind; bounded is the point
                call()
            assert time.monotonic() - started < ACK_PATH_LIMIT
    finally:
        migration.rollback()
        migration.close()
    assert row_count(outbox) == 1
    assert outbox.enqueue(make_submission("T1:new"))[1]


@pytest.mark.postgres
def test_a_connection_killed_at_commit_is_checked_before_saying_nothing_was_stored(postgres_url):
    outbox = Outbox.from_url(postgres_url)
    admin = create_engine(postgres_url)

    @event.listens_for(outbox.ack_engine, "commit")
    def kill_at_commit(conn):
        # The server process serving this connection dies just before COMMIT arrives.
        pid = conn.connection.dbapi_connection.info.backend_pid
        with admin.begin() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    with pytest.raises(NotStored):
        outbox.enqueue(make_submission())
    event.remove(outbox.ack_engine, "commit", kill_at_commit)
    assert row_count(outbox) == 0
    assert outbox.enqueue(make_submission())[1]
    admin.dispose()


@pytest.mark.postgres
def test_after_a_postgres_restart_the_next_call_succeeds(private_postgres):
    outbox = Outbox.from_url(private_postgres.url)
    outbox.enqueue(make_submission("T1:before"))
    outbox.claim_next("w", lease_seconds=60)  # the background pool holds connections too
    private_postgres.restart()
    assert outbox.enqueue(make_submission("T1:after"))[1]
    assert outbox.claim_next("w", lease_seconds=60) is not None


@pytest.mark.postgres
def test_while_postgres_is_down_the_enqueue_fails_fast_then_recovers(private_postgres):
    outbox = Outbox.from_url(private_postgres.url)
    outbox.enqueue(make_submission("T1:before-outage"))
    private_postgres.stop()
    try:
        for n in range(3):
            started = time.monotonic()
            with pytest.raises(NotStored):
                outbox.enqueue(make_submission(f"T1:down{n}"))
            assert time.monotonic() - started < ACK_PATH_LIMIT
    finally:
        private_postgres.start()
    assert outbox.enqueue(make_submission("T1:down0"))[1]
    assert outbox.get_by_key("T1:down0") is not None
    assert outbox.get_by_key("T1:down1") is None and outbox.get_by_key("T1:down2") is None


def test_make_engine_bounds_the_background_too(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        busy_ms = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    assert 0 < busy_ms <= 60_000


@pytest.fixture
def silent_network(private_postgres):
    """The private PostgreSQL behind a proxy that can swallow every packet."""
    from tests.tcp_proxy import TcpProxy

    proxy = TcpProxy(private_postgres.port)
    yield proxy, private_postgres.url.replace(f":{private_postgres.port}/", f":{proxy.port}/")
    proxy.close()


@pytest.mark.postgres
def test_a_network_that_swallows_packets_is_bounded_and_leaks_no_connection(silent_network):
    proxy, url = silent_network
    outbox = Outbox.from_url(url)
    outbox.enqueue(make_submission("T1:before-silence"))
    outbox.recent_for_user("U1")  # the ack pool holds a live connection now
    proxy.blackhole()
    try:
        started = time.monotonic()
        with pytest.raises(NotStored):
            outbox.enqueue(make_submission("T1:silent"))
        with pytest.raises((TimeoutError, OperationalError)):  # stuck, or can't connect in time
            outbox.recent_for_user("U1")
        assert time.monotonic() - started < 2 * ACK_PATH_LIMIT
        # More stuck calls at once than the ack pool has connections: each gives up in time.
        with ThreadPoolExecutor(35) as pool:
            outcomes = list(pool.map(lambda n: _enqueue_outcome(outbox, f"T1:silent{n}"), range(35)))
        assert set(outcomes) == {"not stored"}
    finally:
        proxy.heal()
    # Every connection a stuck call held was cut and given back to the pool.
    deadline = time.monotonic() + 3
    while outbox.ack_engine.pool.checkedout() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox.ack_engine.pool.checkedout() == 0
    for n in range(5):
        assert outbox.enqueue(make_submission(f"T1:healed{n}"))[1]
    assert outbox.get_by_key("T1:silent") is None  # "nothing was stored" was true


def _enqueue_outcome(outbox: Outbox, key: str) -> str:
    started = time.monotonic()
    try:
        outbox.enqueue(make_submission(key))
        outcome = "stored"
    except NotStored:
        outcome = "not stored"
    return outcome if time.monotonic() - started < ACK_PATH_LIMIT else f"{outcome}, too late"


@pytest.mark.postgres
def test_background_calls_on_a_network_that_swallows_packets_are_cut_not_stuck(silent_network):
    proxy, url = silent_network
    # The background's limits scaled down from 20 s to 1 s (its watchdog cuts after 2 s).
    outbox = Outbox(make_engine(url, timeout=1.0))
    outbox.create_schema()
    record, _ = outbox.enqueue(make_submission("T1:background"))
    assert outbox.get(record.id) is not None  # the background pool holds a live connection

    def call_while_silent(call) -> float:
        proxy.blackhole()
        started = time.monotonic()
        try:
            with pytest.raises(OperationalError):
                call()
            return time.monotonic() - started
        finally:
            proxy.heal()

    # A statement in flight when the network went silent; then a pooled connection's check.
    took = call_while_silent(lambda: outbox.claim_next("w", lease_seconds=60))
    assert took < 5
    assert outbox.get(record.id) is not None  # healed: works at once
    took = call_while_silent(lambda: outbox.get(record.id))
    assert took < 10  # the pooled connection's check is cut, and a new connection can't be made
    assert outbox.claim_next("w", lease_seconds=60) is not None  # (the cluster holds other tests' rows too)


def test_an_ack_path_sqlite_connection_never_waits_for_a_lock_longer_than_its_budget(sqlite_url):
    # limit_waits skips the PRAGMA when the connection already has the (rounded) budget; it must
    # never leave a longer wait from an earlier call in place.
    from bot.delivery.outbox import limit_waits

    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        for seconds, expected_ms in ((2.0, 2000), (2.0, 2000), (0.333, 300), (2.019, 2000), (0.04, 40), (2.0, 2000)):
            limit_waits(conn, seconds)
            busy_ms = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
            assert busy_ms == expected_ms and busy_ms <= seconds * 1000
