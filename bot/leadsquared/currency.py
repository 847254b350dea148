"""The LeadSquared account's currency, for showing revenue as "₹12,00,000" instead of "1200000".

LeadSquared's ``GET SalesActivity.svc/RetrieveSetting`` answers ``DefaultCurrencySymbol`` ("$")
and ``DefaultCurrencyAbbreviation`` ("USD"). It is cosmetic, so it is never waited for: the
cache answers at once with what it has (None at first or after failures, and the revenue is
then shown as a plain number) and refreshes itself on a background pool.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

log = logging.getLogger(__name__)

# The account's currency hardly ever changes: ask again every few hours.
CURRENCY_TTL = 6 * 3600
# After a failed fetch, don't ask again before this (LeadSquared may be down or rate-limiting).
CURRENCY_RETRY_AFTER = 300
MAX_SYMBOL = 8


@dataclass(frozen=True)
class AccountCurrency:
    symbol: str  # "$", "₹", "Rs." — what LeadSquared shows in front of amounts
    abbreviation: str = ""  # "USD", "INR"; "" when LeadSquared gave none


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value)
    return " ".join(text.split())


def currency_from_setting(setting: object) -> AccountCurrency | None:
    """The currency in a RetrieveSetting answer; None when it has none we can show."""
    if not isinstance(setting, dict):
        return None
    symbol = _clean(setting.get("DefaultCurrencySymbol"))
    abbreviation = _clean(setting.get("DefaultCurrencyAbbreviation"))
    if len(abbreviation) > MAX_SYMBOL:
        abbreviation = ""
    if not symbol or len(symbol) > MAX_SYMBOL:
        symbol = abbreviation  # "USD 12,000" still says which currency
    if not symbol:
        return None
    return AccountCurrency(symbol, abbreviation)


class CurrencyCache:
    """``current()`` never blocks: the cached currency (None until known) and, when it is
    missing or old, a refresh started on ``executor``. A failed refresh keeps what we had."""

    def __init__(
        self,
        fetch_setting: Callable[[], object],
        executor: Executor,
        *,
        ttl: float = CURRENCY_TTL,
        retry_after: float = CURRENCY_RETRY_AFTER,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_setting = fetch_setting
        self._executor = executor
        self.ttl = ttl
        self.retry_after = retry_after
        self._timer = timer
        self._lock = threading.Lock()
        self._value: AccountCurrency | None = None
        self._next_fetch_at = float("-inf")  # due at once
        self._fetching = False

    def current(self) -> AccountCurrency | None:
        with self._lock:
            value = self._value
            due = not self._fetching and self._timer() >= self._next_fetch_at
            if due:
                self._fetching = True
        if due:
            try:
                self._executor.submit(self._refresh)
            except RuntimeError:  # the pool is shut down: the process is stopping
                with self._lock:
                    self._fetching = False
        return value

    def refresh_soon(self) -> None:
        """Start fetching now (at start-up), so the first announcement has it."""
        self.current()

    def _refresh(self) -> None:
        value: AccountCurrency | None = None
        ok = False
        try:
            value = currency_from_setting(self._fetch_setting())
            ok = True
        except Exception as error:  # cosmetic: never let it hurt anything else
            log.info(
                "LeadSquared currency not fetched: %s",
                getattr(getattr(error, "kind", None), "value", None) or type(error).__name__,
            )
        with self._lock:
            self._fetching = False
            if ok:
                self._value = value
                self._next_fetch_at = self._timer() + (self.ttl if value is not None else self.retry_after)
            else:
                self._next_fetch_at = self._timer() + self.retry_after
