"""Owner verdicts shared through the database (bot.delivery.owner_verdicts) as OwnerCheck uses
them: each OwnerCheck here stands for one process (its own pool and memory), all against the
stand-in LeadSquared and a real database (SQLite, and PostgreSQL when reachable)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from bot.delivery.outbox import create_tables, make_engine
from bot.delivery.owner_verdicts import OwnerVerdicts
from bot.leadsquared.client import LeadSquaredClient
from bot.leadsquared.search import OwnerCheck, OwnerVerdict
from tests.standins.leadsquared import LeadSquaredStandIn

AK = "owner-access-key"
SK = "owner-secret-key"
BY_EMAIL = "/v2/UserManagement.svc/User/Retrieve/ByEmailAddress"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lsq():
    with LeadSquaredStandIn(AK, SK) as standin:
        standin.add_user("priya@acme.in", first_name="Priya")
        yield standin


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    create_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def processes(lsq, engine):
    """A factory of OwnerChecks, each as one process would build it (services.py), sharing the
    database and the clock."""
    pools: list[ThreadPoolExecutor] = []
    clock = FakeClock()

    def process(store=None) -> OwnerCheck:
        pool = ThreadPoolExecutor(4, "test-owner")
        pools.append(pool)
        client = LeadSquaredClient(lsq.url, AK, SK, timeout=(1.0, 4.0))
        store = OwnerVerdicts(engine) if store is None else store
        return OwnerCheck(client, pool, verdict_store=store, timer=clock, clock=clock)

    process.clock = clock
    yield process
    for pool in pools:
        pool.shutdown(wait=True)


def owner_calls(lsq) -> list[str]:
    return [call.query.get("emailAddress") for call in lsq.calls if call.path.endswith("ByEmailAddress")]


def settle(check: OwnerCheck) -> None:
    """Wait for the verdict's write to the database (it runs on the pool after the answer)."""
    check.pool.submit(lambda: None).result()
    check.pool.shutdown(wait=True)


def test_a_verdict_found_by_one_process_is_used_by_another(processes, lsq):
    first, second = processes(), processes()
    assert first.check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert first.check("ghost@acme.in") is OwnerVerdict.UNKNOWN
    settle(first)

    assert second.check("Priya@Acme.in ") is OwnerVerdict.ACTIVE
    # Unknown owners are still refused, without asking LeadSquared again.
    assert second.check("ghost@acme.in") is OwnerVerdict.UNKNOWN
    assert owner_calls(lsq) == ["priya@acme.in", "ghost@acme.in"]


def test_shared_verdicts_expire_a_known_user_after_an_hour_an_unknown_after_five_minutes(processes, lsq):
    first = processes()
    assert first.check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert first.check("ghost@acme.in") is OwnerVerdict.UNKNOWN
    settle(first)
    lsq.add_user("ghost@acme.in")  # added in LeadSquared meanwhile
    lsq.reset_calls()

    processes.clock.now += 299
    assert processes().check("ghost@acme.in") is OwnerVerdict.UNKNOWN
    assert owner_calls(lsq) == []
    processes.clock.now += 2  # five minutes and a second
    later = processes()
    assert later.check("ghost@acme.in") is OwnerVerdict.ACTIVE
    assert later.check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert owner_calls(lsq) == ["ghost@acme.in"]
    settle(later)

    processes.clock.now += 3600 - 301 - 1  # a second short of an hour after priya was checked
    assert processes().check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert owner_calls(lsq) == ["ghost@acme.in"]
    processes.clock.now += 2  # an hour and a second: asked again
    assert processes().check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert owner_calls(lsq) == ["ghost@acme.in", "priya@acme.in"]


def test_a_failed_check_is_not_shared(processes, lsq):
    first = processes()
    lsq.fail_next("auth_401")
    assert first.check("priya@acme.in") is OwnerVerdict.UNCHECKED
    settle(first)
    assert processes().check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert owner_calls(lsq) == ["priya@acme.in", "priya@acme.in"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_locked_table_means_asking_leadsquared_not_a_wrong_answer(processes, engine, lsq):
    # (SQLite in WAL mode never blocks a reader: there the stored verdicts keep answering.)
    first = processes()
    assert first.check("ghost@acme.in") is OwnerVerdict.UNKNOWN
    settle(first)
    lsq.reset_calls()
    locked = engine.connect()
    locked.begin()
    locked.execute(text("LOCK TABLE logsale_owner_verdicts IN ACCESS EXCLUSIVE MODE"))
    try:
        second = processes(OwnerVerdicts(engine, timeout=0.3))
        assert second.check("priya@acme.in", timeout=3.0) is OwnerVerdict.ACTIVE
        assert second.check("ghost@acme.in", timeout=3.0) is OwnerVerdict.UNKNOWN
    finally:
        locked.rollback()
        locked.close()
    assert owner_calls(lsq) == ["priya@acme.in", "ghost@acme.in"]


def test_an_unreachable_database_means_asking_leadsquared(lsq, processes):
    nowhere = make_engine("postgresql+psycopg://logsale@127.0.0.1:1/logsale", timeout=0.3)
    check = processes(OwnerVerdicts(nowhere, timeout=0.3))
    assert check.check("priya@acme.in", timeout=3.0) is OwnerVerdict.ACTIVE
    assert check.check("ghost@acme.in", timeout=3.0) is OwnerVerdict.UNKNOWN
    assert owner_calls(lsq) == ["priya@acme.in", "ghost@acme.in"]


def test_one_process_has_one_check_in_flight_per_email(processes, lsq):
    lsq.delay = 0.5
    check = processes()
    start = threading.Barrier(12)
    verdicts: list[OwnerVerdict] = []

    def submit() -> None:
        start.wait()
        verdicts.append(check.check("Priya@acme.in", timeout=3.0))

    threads = [threading.Thread(target=submit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts == [OwnerVerdict.ACTIVE] * 12
    assert owner_calls(lsq) == ["Priya@acme.in"]
