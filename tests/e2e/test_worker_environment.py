"""The server the Procfile starts runs its workers with malloc's per-thread caches off
(bot/allocator.py) and a collector after busy seconds (bot/garbage.py)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from bench.harness import gunicorn_pids
from bot import thread_names
from bot.allocator import TCACHE_OFF, VARIABLE


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


def test_every_gunicorn_process_has_the_tcache_off(master_and_workers):
    master, workers = master_and_workers
    for pid in (master, *workers):
        assert environment_of(pid).get(VARIABLE) == TCACHE_OFF


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
