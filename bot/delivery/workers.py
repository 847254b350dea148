"""One claim loop, used by every background pool: the dispatcher's, the notifier's and the
App Home refresher's.

Each thread calls ``work(worker_id)`` again at once while it reports work done (True) and
otherwise sleeps until ``idle_poll`` passes or a ``wake()`` call is its to take: one thread per
call, so a stored sale wakes one thread, not all eight (seven of which found nothing). An exception (the
database went away, say) is logged and paused over: whatever was being worked on stays
stored and is claimed again later, here or in another process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from bot import thread_names

log = logging.getLogger(__name__)


def process_id() -> str:
    """This process, as other processes see it in a claim: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerPool:
    def __init__(
        self,
        name: str,
        work: Callable[[str], bool],
        *,
        threads: int = 1,
        idle_poll: float = 1.0,
    ):
        self.name = name
        self.work = work
        self.threads = threads
        self.idle_poll = idle_poll
        self.stopping = threading.Event()  # also for the work itself to wait on (and stop waiting)
        self._wakes = threading.Condition()
        self._unanswered_wakes = 0  # wake() calls no thread has taken up yet (at most one per thread)
        self._workers: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return bool(self._workers)

    def start(self) -> None:
        if self._workers:
            return
        self.stopping.clear()
        for n in range(self.threads):
            worker = threading.Thread(
                target=self._run, args=(f"{process_id()}:{self.name}-{n}",), daemon=True, name=f"{self.name}-{n}"
            )
            worker.start()
            self._workers.append(worker)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        with self._wakes:
            self._wakes.notify_all()
        for worker in self._workers:
            worker.join(timeout)
        self._workers.clear()

    def wake(self) -> None:
        """Work was stored in this process: one thread looks at once, not at its next poll (an
        idle one, or else the next to find nothing: the call is not lost while all are busy)."""
        with self._wakes:
            self._unanswered_wakes = min(self._unanswered_wakes + 1, self.threads)
            self._wakes.notify()

    def _sleep_until_woken(self) -> None:
        """Until a wake() call is this thread's to take, or ``idle_poll`` has passed (look anyway)."""
        poll_at = time.monotonic() + self.idle_poll
        with self._wakes:
            # A thread notified for a call another thread took first sleeps on.
            while not self._unanswered_wakes and not self.stopping.is_set():
                left = poll_at - time.monotonic()
                if left <= 0:
                    return
                self._wakes.wait(left)
            if self._unanswered_wakes:
                self._unanswered_wakes -= 1

    def _run(self, worker_id: str) -> None:
        thread_names.name_this_thread(self.name)
        while not self.stopping.is_set():
            try:
                worked = self.work(worker_id)
            except Exception:
                log.exception("%s loop error; retrying shortly", self.name)
                worked = False
                self.stopping.wait(self.idle_poll)
            if not worked:
                self._sleep_until_woken()
