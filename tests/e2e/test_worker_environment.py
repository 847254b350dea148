"""The server the Procfile starts runs its workers with malloc's per-thread caches off and two
arenas (bot/allocator.py) and a collector after busy seconds (bot/garbage.py)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from bench.harness import gunicorn_pids
from bot import thread_names
from bot.allocator import TCACHE_OFF, TUNED, VARIABLE
from tests.malloc_heaps import malloc_heaps


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.decode().split("=", 1) for entry in raw.split(b"\0") if b"=" in entry)


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.fixture
def master_and_workers(deploy) -> tuple[int, list[int]]:
    """A server with two workers that has logged a sale: its master's pid and its workers'."""
    bot = deploy(WEB_CONCURRENCY="2")
    assert bot.log_sale().status_code == 200
    deadline = time.monotonic() + 10
    while len(pids := gunicorn_pids(bot.server.process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    [master] = [pid for pid in pids if parent_of(pid) not in pids]
    workers = [pid for pid in pids if pid != master]
    assert len(workers) == 2
    return master, workers


def test_every_gunicorn_process_has_the_malloc_settings(master_and_workers):
    master, workers = master_and_workers
    for pid in (master, *workers):
        # glibc 2.36, parsing the variable as the process starts, leaves a NUL after the first
        # setting in the environment block that /proc shows (the process's own copy is whole).
        seen = environment_of(pid).get(VARIABLE, "")
        assert seen.startswith(TCACHE_OFF) and TUNED.startswith(seen)


def test_each_worker_has_at_most_two_malloc_arenas(master_and_workers):
    """The arena limit in effect, read from the maps: a worker runs dozens of threads, and glibc
    would otherwise give most of them an arena of its own (tests/unit/test_allocator.py)."""
    _, workers = master_and_workers
    for pid in workers:
        deadline = time.monotonic() + 10
        while len(thread_names_of(pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)  # a worker still starting its pools
        assert len(list(Path(f"/proc/{pid}/task").iterdir())) > 2  # more threads than arenas
        assert malloc_heaps(pid) <= 1  # 15 here without the limit


def thread_names_of(pid: int) -> set[str]:
    names = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            names.add((task / "comm").read_text().strip())
    return names


def test_each_worker_runs_the_collector_and_the_master_does_not(master_and_workers):
    master, workers = master_and_workers
    for pid in workers:
        deadline = time.monotonic() + 10
        while thread_names.GARBAGE not in thread_names_of(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert thread_names.GARBAGE in thread_names_of(pid)
    assert thread_names.GARBAGE not in thread_names_of(master)
