"""One claim loop, used by every background pool: the dispatcher's, the notifier's and the
App Home refresher's.

Each thread calls ``work(worker_id)`` again at once while it reports work done (True) and
otherwise sleeps until ``idle_poll`` passes or ``wake()`` is called. An exception (the
database went away, say) is logged and paused over: whatever was being worked on stays
stored and is claimed again later, here or in another process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
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
        self._wake = threading.Event()
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
        self._wake.set()
        for worker in self._workers:
            worker.join(timeout)
        self._workers.clear()

    def wake(self) -> None:
        """Work was stored in this process: don't wait for the next poll."""
        self._wake.set()

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
                self._wake.wait(self.idle_poll)
                self._wake.clear()
