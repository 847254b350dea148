"""Who is typing: email, IANA time zone and locale from users.info, cached.

The zone is the IANA name (tz), never tz_offset: the offset is today's, and wrong for a
sale date on the other side of a DST change.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    email: str | None = None
    tz: str | None = None
    locale: str | None = None
    name: str = ""


class UserDirectory:
    def __init__(self, client: WebClient, *, ttl: float = 3600.0):
        self.client = client
        self.ttl = ttl
        self._cache: dict[str, tuple[float, SlackUser]] = {}
        self._lock = threading.Lock()

    def cached(self, user_id: str) -> SlackUser | None:
        with self._lock:
            entry = self._cache.get(user_id)
        if entry and time.monotonic() - entry[0] < self.ttl:
            return entry[1]
        return None

    def get(self, user_id: str) -> SlackUser:
        """users.info, cached; on any failure a SlackUser with only the id (never raises)."""
        found = self.cached(user_id)
        if found:
            return found
        try:
            data = self.client.users_info(user=user_id, include_locale=True)["user"]
        except Exception as error:
            log.warning(
                "users.info failed for %s: %s",
                user_id,
                getattr(error, "response", {}) or type(error).__name__,
            )
            return SlackUser(user_id)
        profile = data.get("profile") or {}
        user = SlackUser(
            user_id=user_id,
            email=profile.get("email") or None,
            tz=data.get("tz") or None,
            locale=data.get("locale") or None,
            name=profile.get("real_name") or data.get("real_name") or data.get("name") or "",
        )
        with self._lock:
            self._cache[user_id] = (time.monotonic(), user)
        return user
