"""malloc's per-thread caches are off wherever the bot runs (bot/allocator.py)."""

from __future__ import annotations

import shlex
import sys

import pytest

from bot import __main__ as entry
from bot.allocator import TCACHE_OFF, VARIABLE, tuned_environment
from tests.e2e.server import procfile_web_command


def test_with_nothing_set_the_tcache_is_turned_off():
    assert tuned_environment({"PATH": "/bin"}) == {"PATH": "/bin", VARIABLE: "glibc.malloc.tcache_count=0"}


def test_the_operators_other_tunables_are_kept():
    tuned = tuned_environment({VARIABLE: "glibc.malloc.arena_max=2"})
    assert tuned[VARIABLE] == "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0"


@pytest.mark.parametrize(
    "theirs", ["glibc.malloc.tcache_count=0", "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=3"]
)
def test_a_tcache_size_already_chosen_is_left_alone(theirs):
    assert tuned_environment({VARIABLE: theirs}) is None


def test_the_procfile_starts_gunicorn_with_the_tcache_off():
    argv = shlex.split(procfile_web_command())
    assert argv[0] == "env" and argv[1] == f"{VARIABLE}={TCACHE_OFF}"
    assert argv[2] == "gunicorn"


def test_python_m_bot_starts_itself_again_with_the_tcache_off(monkeypatch):
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-1-unit",
        "SLACK_SIGNING_SECRET": "unit-signing-secret",
        "LEADSQUARED_HOST": "api-in21.leadsquared.com",
        "LEADSQUARED_ACCESS_KEY": "u$rAccessKey",
        "LEADSQUARED_SECRET_KEY": "unitsecretkey",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(VARIABLE, raising=False)
    started: list[tuple] = []

    class Restarted(Exception):
        pass

    def execve(path, argv, env):
        started.append((path, argv, env))
        raise Restarted

    monkeypatch.setattr(entry.os, "execve", execve)
    with pytest.raises(Restarted):
        entry.main(["run"])
    [(path, argv, env)] = started
    assert path == sys.executable and argv == [sys.executable, "-m", "bot", "run"]
    assert env[VARIABLE] == TCACHE_OFF and env["SLACK_BOT_TOKEN"] == "xoxb-1-unit"
