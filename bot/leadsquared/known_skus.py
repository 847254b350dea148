"""The SKUs one-line entry can recognise (``/logsale priya@acme.in SKU-PRO won 12000``).

Two sources: products LeadSquared's product search found (remembered here for an hour), and
the SKUs of recent sales, read through ``recent`` (the outbox's bounded read, handed in:
this package doesn't read the database).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache

log = logging.getLogger(__name__)


class KnownSkus:
    def __init__(
        self,
        recent: Callable[[], set[str]],
        *,
        maxsize: int = 5000,
        ttl: float = 3600,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recent = recent
        self._searched: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._lock = threading.Lock()

    def remember_products(self, products: list[dict]) -> None:
        """SKUs a product search found (``ProductSearch(on_found=…)``)."""
        with self._lock:
            for product in products:
                sku = str(product.get("ProductSku") or "").strip()
                if sku:
                    self._searched[sku] = str(product.get("Name") or "")

    def all(self) -> set[str]:
        """Recent sales' SKUs and searched ones. When the recent ones can't be read in time
        (the modal's trigger_id dies 3 s after the command), the searched ones alone."""
        with self._lock:
            searched = set(self._searched.keys())
        try:
            return searched | self.recent()
        except Exception as error:
            log.warning("recent SKUs unavailable for one-line entry: %s", type(error).__name__)
            return searched
