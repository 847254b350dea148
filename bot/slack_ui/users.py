"""Who is typing: email, IANA time zone and locale from users.info, cached.

The zone is the IANA name (tz), never tz_offset: the offset is today's, and wrong for a
sale date on the other side of a DST change.

users.info is I/O against Slack: a caller inside Slack's 3-second ack window passes
``wait`` and gets an answer (or only the id) in time; the call itself runs on this
directory's own threads and a late answer still fills the cache for the next request.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from slack_sdk import WebClient

from bot import thread_names
from bot.slack_ui.shapes import sane_locale, sane_tz

log = logging.getLogger(__name__)

# How long a request inside Slack's 3 s may wait for users.info (the rest of the ack
# needs the remainder).
ACK_PATH_WAIT = 0.8


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    email: str | None = None
    tz: str | None = None
    locale: str | None = None
    name: str = ""


class UserDirectory:
    def __init__(self, client: WebClient, *, ttl: float = 3600.0, threads: int = 4):
        self.client = client
        self.ttl = ttl
        self._cache: dict[str, tuple[float, SlackUser]] = {}
        self._in_flight: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(threads, "logsale-users", thread_names.namer(thread_names.USERS))

    def cached(self, user_id: str) -> SlackUser | None:
        with self._lock:
            entry = self._cache.get(user_id)
        if entry and time.monotonic() - entry[0] < self.ttl:
            return entry[1]
        return None

    def get(self, user_id: str, *, wait: float | None = None) -> SlackUser:
        """users.info, cached; on any failure a SlackUser with only the id (never raises).

        ``wait``: at most this many seconds (then the id only; the answer lands in the
        cache when it comes). None: as long as the Web API client's own timeout.
        """
        found = self.cached(user_id)
        if found:
            return found
        with self._lock:
            future = self._in_flight.get(user_id)
            if future is None:
                future = self._pool.submit(self._fetch, user_id)
                self._in_flight[user_id] = future
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            log.info("users.info for %s still running after %.1f s; going on without it", user_id, wait)
            return SlackUser(user_id)

    def _fetch(self, user_id: str) -> SlackUser:
        try:
            return self._fetch_uncached(user_id)
        finally:
            with self._lock:
                self._in_flight.pop(user_id, None)

    def _fetch_uncached(self, user_id: str) -> SlackUser:
        try:
            data = self.client.users_info(user=user_id, include_locale=True)["user"]
        except Exception as error:
            response = getattr(error, "response", None)
            code = response.get("error") if hasattr(response, "get") else None
            log.warning("users.info failed for %s: %s", user_id, code or type(error).__name__)
            return SlackUser(user_id)
        if not isinstance(data, dict):
            return SlackUser(user_id)
        profile = data.get("profile") if isinstance(data.get("profile"), dict) else {}
        email = profile.get("email")
        name = profile.get("real_name") or data.get("real_name") or data.get("name") or ""
        user = SlackUser(
            user_id=user_id,
            email=email if isinstance(email, str) and email else None,
            # Slack's answer is read by shape too: a zone or locale we can't use is no zone.
            tz=sane_tz(data.get("tz")),
            locale=sane_locale(data.get("locale")),
            name=name if isinstance(name, str) else "",
        )
        with self._lock:
            self._cache[user_id] = (time.monotonic(), user)
        return user
