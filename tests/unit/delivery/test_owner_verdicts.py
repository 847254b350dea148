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

    def process(store=None, **options) -> OwnerCheck:
        pool = ThreadPoolExecutor(4, "test-owner")
        pools.append(pool)
        client = LeadSquaredClient(lsq.url, AK, SK, timeout=(1.0, 4.0))
        store = OwnerVerdicts(engine) if store is None else store
        return OwnerCheck(client, pool, verdict_store=store, timer=clock, clock=clock, **options)

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


def at_once(checks: list[OwnerCheck], email: str) -> list[OwnerVerdict]:
    """Each check asks about ``email`` at the same moment, from its own thread (one per process)."""
    start = threading.Barrier(len(checks))
    verdicts: list[OwnerVerdict | None] = [None] * len(checks)

    def ask(i: int) -> None:
        start.wait()
        verdicts[i] = checks[i].check(email, timeout=5.0)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(checks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return verdicts


def test_processes_checking_one_owner_at_once_ask_leadsquared_once(processes, lsq):
    # Forms opening on three workers at once: one call for the owner, not three.
    lsq.delay = 0.5
    assert at_once([processes(), processes(), processes()], "priya@acme.in") == [OwnerVerdict.ACTIVE] * 3
    assert at_once([processes(), processes()], "ghost@acme.in") == [OwnerVerdict.UNKNOWN] * 2
    assert owner_calls(lsq) == ["priya@acme.in", "ghost@acme.in"]


def test_a_check_that_failed_in_one_process_is_asked_again_by_the_others(processes, lsq):
    lsq.delay = 0.5
    lsq.fail_next("auth_401")  # whichever process asks first gets it, and gives up its claim
    verdicts = at_once([processes(), processes()], "priya@acme.in")
    assert sorted(verdicts) == sorted([OwnerVerdict.UNCHECKED, OwnerVerdict.ACTIVE])
    assert owner_calls(lsq) == ["priya@acme.in", "priya@acme.in"]


def test_a_claim_left_by_a_process_that_stopped_holds_the_others_only_claim_seconds(processes, lsq, engine):
    OwnerVerdicts(engine).claim("priya@acme.in", processes.clock(), 3.0)  # then that process died
    check = processes(claim_seconds=0.3)
    assert check.check("priya@acme.in", timeout=3.0) is OwnerVerdict.ACTIVE
    assert owner_calls(lsq) == ["priya@acme.in"]


def test_claims_expire_by_the_clock_and_end_with_the_verdict_or_a_release(engine):
    store = OwnerVerdicts(engine)
    now = 1_795_000_000.0
    assert store.claim("priya@acme.in", now, 3.0) is True
    assert store.claim("priya@acme.in", now + 1, 3.0) is False  # another process is asking
    assert store.claim("asha@acme.in", now + 1, 3.0) is True  # claims are per email
    assert store.claim("priya@acme.in", now + 3, 3.0) is True  # the first one's time is up
    store.release("priya@acme.in")
    assert store.claim("priya@acme.in", now + 3.5, 3.0) is True
    store.put("priya@acme.in", True, now + 3600)
    assert store.claim("priya@acme.in", now + 3.6, 3.0) is True


def test_a_check_that_ends_between_a_look_and_a_claim_is_not_asked_again(processes, lsq, engine):
    class OtherProcessFinishesAfterTheFirstLook(OwnerVerdicts):
        looked = False

        def get(self, email, now):
            found = super().get(email, now)
            if not self.looked:
                self.looked = True
                self.put(email, True, now + 3600)  # its verdict stored, its claim gone
            return found

    check = processes(OtherProcessFinishesAfterTheFirstLook(engine))
    assert check.check("priya@acme.in") is OwnerVerdict.ACTIVE
    assert owner_calls(lsq) == []
