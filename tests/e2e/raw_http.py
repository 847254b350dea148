"""Raw HTTP over a socket: for requests no HTTP library would send (bad bytes, lying
headers, half a request)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from tests import slack_requests as sr


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def request_bytes(
    body: bytes, headers: dict[str, str], *, path: str = "/slack/events", length: str | None = None
) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def signed_headers(secret: str, body: bytes, *, timestamp: str | None = None, content_type: str | None = None) -> dict:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    # The signature is over the raw bytes, as Slack computes it.
    import hashlib
    import hmac

    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type or "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def send(url: str, data: bytes, *, timeout: float = 10, shut_write: bool = False) -> tuple[int, bytes]:
    """Send ``data`` as is; the status code and body of the answer (0 if the server just closed)."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        sock.sendall(data)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    if not answer.startswith(b"HTTP/1."):
        return 0, answer
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


def signed_form(url: str, secret: str, body: str) -> tuple[int, bytes]:
    raw = body.encode()
    return send(url, request_bytes(raw, signed_headers(secret, raw)))


def signed_payload(url: str, secret: str, payload: dict) -> tuple[int, bytes]:
    return signed_form(url, secret, sr.form_body_for_payload(payload))
