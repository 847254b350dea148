"""What comes back from Slack, read by shape: a value that doesn't look right is no value.

private_metadata is ours, but it travels through the client, and slash-command and
block_actions bodies are only as trustworthy as their signature: so a response_url is
used only when it points at Slack (or at the configured SLACK_API_URL's host, which is
how tests and proxies point the bot elsewhere), a channel only when it looks like one,
a time zone only when it is a real IANA name of sane length.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# Where Slack's response_urls live: hooks.slack.com, and GovSlack's hooks.slack-gov.com.
SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
MAX_URL = 500
MAX_TZ = 64  # the longest IANA name is 32 characters
# C… public, G… private/group, D… direct message; Slack ids are upper-case letters and digits.
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,30}")
_TZ_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,3}")
# BCP 47 as Slack sends it: en-US, en-IN, es-LA, pt-BR, zh-CN, ja-JP.
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")

# In ASCII (checked first), whitespace and control characters are exactly \x00-\x20.
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20]")

_extra_origins: set[tuple[str, str]] = set()


def trust_slack_api_url(api_url: str) -> None:
    """Also accept response_urls on the configured SLACK_API_URL's scheme://host:port."""
    parts = urlsplit(api_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        _extra_origins.add((parts.scheme, parts.netloc.lower()))


def response_url(value: object) -> str | None:
    if not isinstance(value, str) or not value or len(value) > MAX_URL or not value.isascii():
        return None
    if _SPACE_OR_CONTROL.search(value):
        return None
    try:
        parts = urlsplit(value)
        hostname = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return None
    if parts.username or parts.password or parts.fragment:
        return None
    if parts.scheme == "https" and hostname in SLACK_HOOK_HOSTS and parts.netloc.lower() == hostname:
        return value
    if (parts.scheme, parts.netloc.lower()) in _extra_origins:
        return value
    return None


def channel_id(value: object) -> str | None:
    return value if isinstance(value, str) and _CHANNEL_ID.fullmatch(value) else None


@lru_cache(maxsize=512)
def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd paths, IsADirectoryError…
        return False
    return True


def sane_tz(value: object) -> str | None:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TZ or not _TZ_NAME.fullmatch(value):
        return None
    return value if _is_zone(value) else None


def sane_locale(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 20 and _LOCALE.fullmatch(value) else None


# A message timestamp, Slack's message id within a channel: "1512085950.000216".
_MESSAGE_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")


def message_ts(value: object) -> str | None:
    return value if isinstance(value, str) and _MESSAGE_TS.fullmatch(value) else None


def sale_id(action: dict) -> int:
    """The sale a button names (its ``value``: our own sale id); -1, matching no sale, otherwise."""
    try:
        return int(action.get("value", ""))
    except (TypeError, ValueError):
        return -1
