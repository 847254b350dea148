"""The server the Procfile starts runs its workers with malloc's per-thread caches off (bot/allocator.py)."""

from __future__ import annotations

import time
from pathlib import Path

from bench.harness import gunicorn_pids
from bot.allocator import TCACHE_OFF, VARIABLE


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.decode().split("=", 1) for entry in raw.split(b"\0") if b"=" in entry)


def test_every_gunicorn_process_has_the_tcache_off(deploy):
    bot = deploy(WEB_CONCURRENCY="2")
    assert bot.log_sale().status_code == 200
    deadline = time.monotonic() + 10
    while len(pids := gunicorn_pids(bot.server.process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) == 3  # the master and two workers
    for pid in pids:
        assert environment_of(pid).get(VARIABLE) == TCACHE_OFF
