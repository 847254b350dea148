"""The client socket as the worker's threads see it: bounded silence, bounded request, no linger."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from bot import gunicorn_worker
from bot.gunicorn_worker import ReadBoundedSocket


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield ReadBoundedSocket(ours), theirs
    ours.close()
    theirs.close()


def test_data_is_read_as_usual(pair):
    ours, theirs = pair
    ours.setblocking(True)
    theirs.sendall(b"POST / HTTP/1.1\r\n")
    assert ours.recv(100) == b"POST / HTTP/1.1\r\n"


def test_silence_past_the_bound_reads_as_the_client_gone(pair):
    ours, _theirs = pair
    ours.setblocking(True)
    started = time.monotonic()
    assert ours.recv(100) == b""
    assert gunicorn_worker.SILENCE <= time.monotonic() - started < gunicorn_worker.SILENCE + 0.5
    assert ours.cut and ours.cut_reason.startswith("nothing more arrived for 0.5 s, 0.5")


def test_a_trickle_is_cut_at_the_whole_request_limit(pair, monkeypatch):
    monkeypatch.setattr(gunicorn_worker, "READ_LIMIT", 0.6)
    ours, theirs = pair
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.1):
            theirs.sendall(b"x")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        ours.setblocking(True)
        started, got = time.monotonic(), b""
        while chunk := ours.recv(1):
            got += chunk
        assert got  # it did read what came…
        assert time.monotonic() - started < 0.6 + 0.3  # …until the limit, not forever
        assert ours.cut_reason.startswith("the whole request took over 0.6 s, 0.")
    finally:
        stop.set()
        thread.join()


def test_a_request_already_here_is_read_however_late_the_thread_comes_to_it(pair, monkeypatch):
    # 200 submissions at once on 2 cores: a thread may start reading a request, then wait for the
    # interpreter longer than READ_LIMIT. The client sent it all at once: nothing to cut.
    monkeypatch.setattr(gunicorn_worker, "READ_LIMIT", 0.05)
    ours, theirs = pair
    request = b"POST /slack/events HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + b"p" * 5000
    theirs.sendall(request)
    ours.setblocking(True)  # the request's bounds start…
    time.sleep(0.2)  # …and the thread is busy elsewhere past them
    got = b""
    while len(got) < len(request) and (chunk := ours.recv(1024)):
        got += chunk
    assert got == request and not ours.cut
    assert ours.gettimeout() == gunicorn_worker.SILENCE  # left as it was (the answer is written in it)
    assert ours.recv(1024) == b"" and ours.cut  # waiting for more past the bound: cut, as before


def test_non_blocking_mode_is_left_alone_for_the_poller(pair):
    ours, _theirs = pair
    ours.setblocking(False)
    with pytest.raises(BlockingIOError):
        ours.recv(10)


def test_closing_does_not_wait_for_a_silent_peer(pair):
    ours, theirs = pair
    theirs.sendall(b"leftover")
    ours.setblocking(True)
    ours.shutdown(socket.SHUT_WR)
    started = time.monotonic()
    ours.settimeout(2.0)  # what gunicorn's close_graceful asks for
    assert ours.recv(4096) == b"leftover"  # what has arrived is drained…
    assert ours.recv(4096) == b""  # …and then no waiting
    assert time.monotonic() - started < 0.1
    assert ours.fileno() >= 0  # other attributes pass through
