"""Each process's pools fit in its share of what PostgreSQL allows (two thirds of max_connections
less the superuser reserve, split between the workers; the ack path gets two thirds of a share),
worked out by hand below."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.delivery.outbox import (
    ACK_DB_TIMEOUT,
    POOL_SIZES_IF_UNKNOWN,
    NotStored,
    Outbox,
    PoolSizes,
    ack_connection,
    ack_engine_for,
    make_engine,
    pool_sizes_for,
)
from tests.e2e.server import free_port
from tests.postgres import private_cluster_for_test
from tests.unit.delivery.test_outbox import make_submission


@pytest.fixture(scope="module")
def postgres_allowing_43():
    # 43 - 3 reserved = 40; two thirds of it = 26 for LogSale.
    with private_cluster_for_test(max_connections=43, superuser_reserved_connections=3) as cluster:
        yield cluster


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("workers", "sizes"),
    [
        (1, PoolSizes(ack=17, background=9)),  # 26 for one process
        (2, PoolSizes(ack=8, background=5)),  # 13 a process
        (3, PoolSizes(ack=5, background=3)),  # 8 a process
        (5, PoolSizes(ack=3, background=2)),  # 5 a process
        (12, PoolSizes(ack=2, background=2)),  # 2 a process: still 2 a pool, the least that works
    ],
)
def test_pools_share_two_thirds_of_what_postgres_allows(postgres_allowing_43, workers, sizes):
    assert pool_sizes_for(postgres_allowing_43.url, workers) == sizes


@pytest.mark.postgres
def test_the_two_engines_of_a_process_get_their_own_sizes(postgres_allowing_43):
    sizes = pool_sizes_for(postgres_allowing_43.url, 3)
    engine = make_engine(postgres_allowing_43.url, pool_sizes=sizes)
    ack_engine = ack_engine_for(engine)
    try:
        assert (engine.pool.size(), engine.pool._max_overflow) == (3, 0)
        assert (ack_engine.pool.size(), ack_engine.pool._max_overflow) == (5, 0)
    finally:
        ack_engine.dispose()
        engine.dispose()


def test_sqlite_needs_no_limit(tmp_path):
    assert pool_sizes_for(f"sqlite:///{tmp_path / 'x.db'}", 3) is None


def test_an_unreachable_postgres_gets_small_pools_not_an_error():
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    assert pool_sizes_for(url, 3) == POOL_SIZES_IF_UNKNOWN


def _hold_every_ack_connection(ack_engine, connections: int, seconds: float) -> list[threading.Thread]:
    """Other requests hold each of the ack pool's connections for ``seconds``."""
    holding = threading.Barrier(connections + 1)

    def hold():
        with ack_connection(ack_engine, 5.0):
            holding.wait()
            time.sleep(seconds)

    holders = [threading.Thread(target=hold) for _ in range(connections)]
    for holder in holders:
        holder.start()
    holding.wait()
    return holders


@pytest.mark.postgres
def test_a_submission_waits_its_turn_at_a_full_ack_pool_within_its_own_budget(postgres_url):
    """A burst on a small PostgreSQL: every ack connection is busy for longer than the pool's
    own timeout (ACK_DB_TIMEOUT), but the submission may spend 2 s saving; it is stored once a
    connection comes free. (It used to be refused after 0.8 s with "couldn't save".)"""
    outbox = Outbox(make_engine(postgres_url, pool_sizes=PoolSizes(ack=2, background=2)))
    outbox.create_schema()
    try:
        holders = _hold_every_ack_connection(outbox.ack_engine, 2, ACK_DB_TIMEOUT + 0.3)
        assert outbox.store(make_submission("T1:burst"), timeout=2.0) is True
        for holder in holders:
            holder.join()
        assert outbox.get_by_key("T1:burst").revenue == "12000"
    finally:
        outbox.ack_engine.dispose()
        outbox.engine.dispose()


@pytest.mark.postgres
def test_a_short_budget_gives_up_waiting_for_a_full_ack_pool_when_it_runs_out(postgres_url):
    outbox = Outbox(make_engine(postgres_url, pool_sizes=PoolSizes(ack=2, background=2)))
    outbox.create_schema()
    try:
        holders = _hold_every_ack_connection(outbox.ack_engine, 2, 2.0)
        started = time.monotonic()
        with pytest.raises(PoolTimeout), ack_connection(outbox.ack_engine, 0.2):
            pass
        with pytest.raises(NotStored):
            outbox.store(make_submission("T1:late"), timeout=0.3)
        # Within the budgets given, not the pool's own 0.8 s each.
        assert time.monotonic() - started < 0.2 + 0.3 + ACK_DB_TIMEOUT
        for holder in holders:
            holder.join()
        # Every turn was given back: the pool serves as many at once as it holds.
        for holder in _hold_every_ack_connection(outbox.ack_engine, 2, 0.0):
            holder.join()
        assert outbox.get_by_key("T1:late") is None
    finally:
        outbox.ack_engine.dispose()
        outbox.engine.dispose()


@pytest.mark.postgres
def test_a_new_connection_may_take_what_is_left_of_the_callers_budget(postgres_url):
    """A busy server takes a while to accept a connection: a submission allowed 2 s waits for
    one that takes longer than the ack path's usual 0.8 s; a caller allowed 0.3 s gives up."""
    from tests.tcp_proxy import TcpProxy

    url = make_url(postgres_url)
    proxy = TcpProxy(url.port or 5432, url.host or "127.0.0.1", connect_delay=ACK_DB_TIMEOUT + 0.3)
    slow_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    outbox = Outbox(make_engine(slow_url, pool_sizes=PoolSizes(ack=2, background=2)))
    try:
        outbox.create_schema()
        assert outbox.store(make_submission("T1:slow-connect"), timeout=2.0) is True
        outbox.ack_engine.dispose()  # the next call needs a new connection again
        started = time.monotonic()
        with pytest.raises(NotStored):
            outbox.store(make_submission("T1:no-time"), timeout=0.3)
        assert time.monotonic() - started < ACK_DB_TIMEOUT
        assert outbox.get_by_key("T1:slow-connect", timeout=2.0).revenue == "12000"
        assert outbox.get_by_key("T1:no-time", timeout=2.0) is None
    finally:
        outbox.ack_engine.dispose()
        outbox.engine.dispose()
        proxy.close()
