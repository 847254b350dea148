"""malloc runs without per-thread caches and with two arenas wherever the bot runs (bot/allocator.py)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import textwrap

import pytest

from bot import __main__ as entry
from bot.allocator import ARENA_VARIABLE, TUNED, VARIABLE, tuned_environment
from tests.e2e.server import procfile_web_command
from tests.malloc_heaps import malloc_heaps


def test_with_nothing_set_both_settings_are_added():
    assert tuned_environment({"PATH": "/bin"}) == {
        "PATH": "/bin",
        VARIABLE: "glibc.malloc.tcache_count=0:glibc.malloc.arena_max=2",
    }


def test_the_operators_other_tunables_are_kept():
    tuned = tuned_environment({VARIABLE: "glibc.malloc.mmap_threshold=131072"})
    assert tuned[VARIABLE] == "glibc.malloc.mmap_threshold=131072:glibc.malloc.tcache_count=0:glibc.malloc.arena_max=2"


@pytest.mark.parametrize(
    ("theirs", "expected"),
    [
        ("glibc.malloc.arena_max=4", "glibc.malloc.arena_max=4:glibc.malloc.tcache_count=0"),
        ("glibc.malloc.tcache_count=3", "glibc.malloc.tcache_count=3:glibc.malloc.arena_max=2"),
    ],
)
def test_a_setting_the_operator_chose_is_theirs(theirs, expected):
    assert tuned_environment({VARIABLE: theirs})[VARIABLE] == expected


def test_malloc_arena_max_counts_as_the_operators_arena_limit():
    tuned = tuned_environment({ARENA_VARIABLE: "8"})
    assert tuned[VARIABLE] == "glibc.malloc.tcache_count=0" and tuned[ARENA_VARIABLE] == "8"


@pytest.mark.parametrize("theirs", [TUNED, "glibc.malloc.arena_max=8:glibc.malloc.tcache_count=7"])
def test_nothing_to_change_when_both_are_set(theirs):
    assert tuned_environment({VARIABLE: theirs}) is None


def test_the_procfile_starts_gunicorn_with_the_settings():
    argv = shlex.split(procfile_web_command())
    assert argv[0] == "env" and argv[1] == f"{VARIABLE}={TUNED}"
    assert argv[2] == "gunicorn"


# Eight threads, each making its first allocation while the others are alive; then glibc's own
# report (one "Arena N:" block per arena) and a pause while the test reads the process's maps.
EIGHT_THREADS = textwrap.dedent(
    """
    import ctypes, sys, threading
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    started, done = threading.Barrier(9), threading.Event()
    def hold():
        libc.malloc(1024)
        started.wait()
        done.wait()
    threads = [threading.Thread(target=hold) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.wait()
    libc.malloc_stats()
    print("ready", flush=True)
    sys.stdin.readline()
    done.set()
    """
)


def arenas_with(environ: dict[str, str]) -> tuple[int, int]:
    """(arenas as glibc reports them, extra heaps as tests/malloc_heaps.py reads them)."""
    process = subprocess.Popen(
        [sys.executable, "-c", EIGHT_THREADS],
        env=environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline() == "ready\n"
        heaps = malloc_heaps(process.pid)
    finally:
        _, report = process.communicate("\n", timeout=30)
    assert process.returncode == 0, report
    return sum(line.startswith("Arena ") for line in report.splitlines()), heaps


def test_this_glibc_honours_the_arena_limit():
    """The setting is read by glibc itself, not by us: check it takes effect here (musl, or a
    glibc older than 2.26, would ignore it silently), and that the maps show it as glibc does."""
    plain = {"PATH": "/usr/bin:/bin"}
    arenas, heaps = arenas_with(plain)
    assert arenas > 2 and heaps == arenas - 1  # by default, an arena a thread (up to 8 a core)
    arenas, heaps = arenas_with(tuned_environment(plain))
    assert arenas <= 2 and heaps == arenas - 1


def test_python_m_bot_starts_itself_again_with_the_settings(monkeypatch):
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
    assert env[VARIABLE] == TUNED and env["SLACK_BOT_TOKEN"] == "xoxb-1-unit"
