"""Each process's pools fit in its share of what PostgreSQL allows (two thirds of max_connections
less the superuser reserve, split between the workers; the ack path gets two thirds of a share),
worked out by hand below."""

from __future__ import annotations

import pytest

from bot.delivery.outbox import POOL_SIZES_IF_UNKNOWN, PoolSizes, ack_engine_for, make_engine, pool_sizes_for
from tests.e2e.server import free_port
from tests.postgres import private_cluster_for_test


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
