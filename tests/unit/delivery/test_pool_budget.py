"""Each process's pools fit in its share of what PostgreSQL allows (half of max_connections,
less the superuser reserve, split between the workers), worked out by hand below."""

from __future__ import annotations

import pytest

from bot.delivery.outbox import POOL_CONNECTIONS_IF_UNKNOWN, ack_engine_for, make_engine, pool_connections_for
from tests.e2e.server import free_port


@pytest.fixture(scope="module")
def postgres_allowing_43():
    from tests.conftest import IN_CI
    from tests.postgres import private_cluster

    try:
        # 43 - 3 reserved = 40 for us; half of it = 20 for LogSale.
        with private_cluster(max_connections=43, superuser_reserved_connections=3) as cluster:
            yield cluster
    except FileNotFoundError as error:
        if IN_CI:
            pytest.fail(f"CI=true but {error}")
        pytest.skip(str(error))


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("workers", "per_pool"),
    [
        (1, 10),  # 20 for one process: 10 per pool (the ack path's and the background's)
        (2, 5),  # 10 a process
        (3, 3),  # 6 a process (20 // 3)
        (5, 2),  # 4 a process
        (12, 2),  # 1 a process: still 2 a pool, the least that works
    ],
)
def test_pools_share_half_of_what_postgres_allows(postgres_allowing_43, workers, per_pool):
    assert pool_connections_for(postgres_allowing_43.url, workers) == per_pool


@pytest.mark.postgres
def test_the_ack_path_pool_is_sized_like_the_background_one(postgres_allowing_43):
    connections = pool_connections_for(postgres_allowing_43.url, 3)
    engine = make_engine(postgres_allowing_43.url, connections=connections)
    ack_engine = ack_engine_for(engine)
    try:
        for pool in (engine.pool, ack_engine.pool):
            assert pool.size() == 3 and pool._max_overflow == 0
    finally:
        ack_engine.dispose()
        engine.dispose()


def test_sqlite_needs_no_limit(tmp_path):
    assert pool_connections_for(f"sqlite:///{tmp_path / 'x.db'}", 3) is None


def test_an_unreachable_postgres_gets_a_small_pool_not_an_error():
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    assert pool_connections_for(url, 3) == POOL_CONNECTIONS_IF_UNKNOWN
