"""LEADSQUARED_HOST -> the API base URL. Kept apart from the client so the gunicorn master can
check the configuration without importing requests (it stays small; workers fork from it)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$")


def base_url_from_host(host: str) -> str:
    """``api-in21.leadsquared.com`` -> ``https://api-in21.leadsquared.com``.

    A full URL is kept, minus a trailing slash; ``http://`` only for 127.x/localhost (stand-ins).
    Raises ValueError for anything else (spaces, empty, a path, a query string, credentials).
    """
    if not isinstance(host, str):
        raise ValueError("LeadSquared host must be a string")
    text = host.strip()
    if not text or any(c.isspace() for c in text):
        raise ValueError("LeadSquared host must be a host name like api-in21.leadsquared.com")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError("LeadSquared host must use https")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError("LeadSquared host must be just a host name, without a path or query")
    if not parts.netloc or not _HOST_RE.match(parts.netloc):
        raise ValueError("LeadSquared host must be a host name like api-in21.leadsquared.com")
    try:
        parts.port  # noqa: B018 - validates the port range
    except ValueError:
        raise ValueError("LeadSquared host has an invalid port") from None
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        # The keys travel in headers: plain HTTP would put them on the wire in clear text.
        raise ValueError("LeadSquared host must use https (plain http only for 127.0.0.1/localhost stand-ins)")
    return f"{parts.scheme}://{parts.netloc}"


def _is_loopback(hostname: str) -> bool:
    return hostname == "localhost" or hostname.startswith("127.")
