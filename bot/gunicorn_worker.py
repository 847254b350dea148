"""gunicorn's gthread worker, with reads that can't hold a thread for long.

gthread hands each connection to one of its threads, which then reads the request with a
blocking socket and no time limit: 50 clients that send half a request and wait hold 32
threads for good, and Slack's requests queue behind them past the 3-second ack (measured:
tests/e2e/test_slow_clients.py; without this a /logsale behind them never got an answer).

Here a thread waits at most FIRST_BYTE_WAIT for a new connection's first byte (then the
connection waits on the poller, thread-free, as gthread already does after 5 s), at most
SILENCE between two packets of a request, and at most READ_LIMIT for the whole request
head and body; and closing a connection doesn't wait for the peer (gunicorn would wait up
to 2 s on its main thread, which accepts every connection). A client that goes past these
reads as one that went away: gunicorn closes the connection, or bot.web answers 400 for a
body cut short and the connection is closed after it (never reused for a next request). Slack (and any proxy in front)
sends a request in one go, so none of these bounds is near a real request.

Silence is not everything: a client that trickles a byte at a time holds a thread up to
READ_LIMIT. Hence the deployment note in the README: in front of the app, a router or
proxy that buffers whole requests (Heroku's router does; elsewhere nginx or similar).
"""

from __future__ import annotations

import time
from concurrent import futures

from gunicorn.workers import gthread  # gunicorn >= 27: TConn.wait_for_data and _DEFER

from bot import thread_names

FIRST_BYTE_WAIT = 0.25
SILENCE = 0.5
READ_LIMIT = 2.0


class ReadBoundedSocket:
    """The client socket as gthread sees it: blocking mode means "blocking, with bounds"."""

    def __init__(self, sock):
        self._sock = sock
        self._read_deadline: float | None = None
        self._closing = False
        # A read of this request ended by our bounds, not by the client: the rest of it may
        # still arrive, so the connection can't carry another request (ReadBoundedThreadWorker).
        self.cut = False
        self.cut_reason = ""  # which bound, after how long: for bot.web's log line
        self._read_started = 0.0

    def setblocking(self, flag: bool) -> None:
        if flag:
            # gthread switches to blocking mode at the start of every request it reads.
            self._sock.settimeout(SILENCE)
            self._read_started = time.monotonic()
            self._read_deadline = self._read_started + READ_LIMIT
            self.cut = False
            self.cut_reason = ""
        else:
            self._sock.setblocking(False)
            self._read_deadline = None

    def shutdown(self, how: int) -> None:
        self._closing = True
        self._sock.shutdown(how)

    def recv(self, size: int, *flags) -> bytes:
        if self._closing:
            # gunicorn's graceful close lingers up to 2 s for the peer to close, on the
            # worker's main thread: 50 silent peers would stall every other connection for
            # 100 s (measured). Drain only what has already arrived, then close.
            try:
                self._sock.setblocking(False)
                return self._sock.recv(size, *flags)
            except OSError:
                return b""
        if self._read_deadline is not None:
            # What has already arrived is taken whatever the time: a request sent in one go but
            # read late, because this process was busy (a burst of acks on 2 cores), is not a
            # slow client. Only waiting for more counts against the bounds.
            bounds = self._sock.gettimeout()
            self._sock.setblocking(False)
            try:
                return self._sock.recv(size, *flags)
            except BlockingIOError:
                pass
            finally:
                self._sock.settimeout(bounds)  # as before: the response is written in this mode too
            left = self._read_deadline - time.monotonic()
            if left <= 0:
                return self._cut(f"the whole request took over {READ_LIMIT:g} s")
            self._sock.settimeout(min(SILENCE, left))
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            # silence past the bound: as if the client had gone
            if self._read_deadline is not None and time.monotonic() >= self._read_deadline:
                return self._cut(f"the whole request took over {READ_LIMIT:g} s")
            return self._cut(f"nothing more arrived for {SILENCE:g} s")

    def _cut(self, reason: str) -> bytes:
        self.cut = True
        self.cut_reason = f"{reason}, {time.monotonic() - self._read_started:.2f} s into the request"
        return b""

    def __getattr__(self, name):
        return getattr(self._sock, name)


class ReadBoundedThreadWorker(gthread.ThreadWorker):
    def get_thread_pool(self):
        # gthread's own pool, with its threads named for `top -H` and bench/run.py.
        return futures.ThreadPoolExecutor(self.cfg.threads, initializer=thread_names.namer(thread_names.REQUEST))

    def enqueue_req(self, conn) -> None:
        if not isinstance(conn.sock, ReadBoundedSocket):
            conn.sock = ReadBoundedSocket(conn.sock)
        super().enqueue_req(conn)

    def _keepalive_after(self, conn, keepalive):
        # gunicorn reads our bounded b"" as the end of the body and would keep the connection:
        # the rest of a cut request, arriving later, was then parsed as the next request
        # ("Request Line is too large", a 400 for whoever sent that next request). Close instead.
        keep = super()._keepalive_after(conn, keepalive)
        return keep and not getattr(conn.sock, "cut", False)

    def handle(self, conn):
        # gthread's own first wait is 5 s (DEFAULT_WORKER_DATA_TIMEOUT) of a thread per
        # silent connection; a silent one is parked on the poller after FIRST_BYTE_WAIT.
        if not conn.initialized and not conn.data_ready and not conn.wait_for_data(FIRST_BYTE_WAIT):
            return gthread._DEFER
        return super().handle(conn)
