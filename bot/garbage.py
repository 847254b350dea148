"""A full garbage collection after each busy second, from a thread of its own (started in each
gunicorn worker by bot/gunicorn_conf.py; it holds the interpreter while it runs, 4–12 ms in a
worker during a burst).

Why: a Slack request leaves cycles behind (Bolt's request, context and response objects refer
to each other; a caught exception's traceback holds its frames and their locals). While a
burst keeps 32 requests in flight, young collections find those cycles still alive and
promote them; once dead they wait in the oldest generation, which Python collects only after
it has grown by a quarter of what survived before (gc.freeze() in bot/wsgi.py leaves that
small, but a burst's garbage still piles up). The heap keeps its high-water mark, so RSS grew
with each of the first bursts. Measured in bench/README.md ("sixth round").
"""

from __future__ import annotations

import gc
import logging
import threading
import time

from bot import thread_names

log = logging.getLogger(__name__)

# Young collections (each about 700 new container objects) in one period that make it "busy".
# Idle, the dispatcher's polls make well under one a second; one /logsale makes several.
BUSY_YOUNG_COLLECTIONS = 10
PERIOD_SECONDS = 1.0


class BurstCollector:
    def __init__(self, period: float = PERIOD_SECONDS, busy: int = BUSY_YOUNG_COLLECTIONS) -> None:
        self.period = period
        self.busy = busy
        self.full_collections = 0
        self._young = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _count(self, phase: str, info: dict) -> None:
        if phase == "start" and info.get("generation") == 0:
            self._young += 1  # under the GIL: collections never run concurrently

    def start(self) -> None:
        if self._thread is not None:
            return
        gc.callbacks.append(self._count)
        self._thread = threading.Thread(target=self._run, name=thread_names.GARBAGE, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._count in gc.callbacks:
            gc.callbacks.remove(self._count)

    def _run(self) -> None:
        thread_names.name_this_thread(thread_names.GARBAGE)
        while not self._stop.wait(self.period):
            if self._young < self.busy:
                self._young = 0
                continue
            self._young = 0
            started = time.perf_counter()
            found = gc.collect()
            self.full_collections += 1
            log.debug(
                "full collection after a busy second: %d objects in %.1f ms",
                found,
                (time.perf_counter() - started) * 1000,
            )
