"""Each pool's threads carry their role as the OS thread name (what `top -H` and the bench read)."""

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot import thread_names
from bot.delivery.workers import WorkerPool

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="OS thread names are read from /proc")


def os_name_of_this_thread() -> str:
    return Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text().strip()


def test_a_pool_named_by_its_initializer_runs_its_work_on_threads_with_that_name():
    with ThreadPoolExecutor(2, initializer=thread_names.namer(thread_names.LISTENER)) as pool:
        names = {pool.submit(os_name_of_this_thread).result() for _ in range(4)}
    assert names == {"bolt-listener"}


def test_a_name_longer_than_the_kernel_keeps_is_cut_to_15_characters():
    with ThreadPoolExecutor(1, initializer=thread_names.namer("a-role-name-that-is-long")) as pool:
        assert pool.submit(os_name_of_this_thread).result() == "a-role-name-tha"


def test_a_worker_pool_thread_is_named_after_its_pool():
    seen: list[str] = []
    done = threading.Event()

    def work(_worker_id: str) -> bool:
        seen.append(os_name_of_this_thread())
        done.set()
        return False

    pool = WorkerPool("dispatch", work, idle_poll=0.05)
    pool.start()
    try:
        assert done.wait(5)
    finally:
        pool.stop()
    assert seen[0] == "dispatch"


def test_a_bounded_database_call_runs_on_db_ack_only_when_made_by_the_thread_that_acks():
    import time

    from bot.delivery.outbox import _run_until

    def where_the_call_ran(role: str) -> str:
        with ThreadPoolExecutor(1, initializer=thread_names.namer(role)) as pool:
            return pool.submit(lambda: _run_until(time.monotonic() + 5, os_name_of_this_thread)).result()

    assert where_the_call_ran(thread_names.REQUEST) == thread_names.DB_ACK  # the bot's listeners run there
    assert where_the_call_ran(thread_names.FORMS) == thread_names.DB_BOUNDED
    assert where_the_call_ran(thread_names.LOOKUP) == thread_names.DB_BOUNDED
