"""Logging that can't leak a key, and whose lines can't be forged or flooded.

Keys travel only in headers and we never log headers ourselves, but libraries at DEBUG
(slack_sdk logs request headers and bodies) might. The filter masks every configured
secret value in every record, whoever logged it.

Log lines carry what users and Slack sent (a time zone, a request body at DEBUG): control
characters are escaped (a newline in a value can't start a fake log line, an escape
sequence can't repaint a terminal) and one record carries at most MAX_MESSAGE characters.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
MAX_MESSAGE = 4000
MAX_TRACEBACK = 20000
# C0 and C1 controls, DEL, and Unicode's line/paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROLS_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """One log line: control characters escaped, at most ``limit`` characters (+ a note)."""
    escaped = _CONTROLS.sub(_escape, text[:limit])
    if len(escaped) <= limit and len(text) <= limit:
        return escaped
    return escaped[:limit] + f"… [cut: {len(text)} characters in all]"


class SafeLineFilter(logging.Filter):
    """Escapes control characters and caps the size of every record (message and traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} (unformattable log arguments: {record.args!r})"
        safe = safe_line(message)
        if safe != message:
            record.msg, record.args = safe, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # A traceback keeps its own newlines; anything else in it is escaped.
            text = record.exc_text
            tail = f"\n… [{len(text) - MAX_TRACEBACK} more characters not logged]" if len(text) > MAX_TRACEBACK else ""
            record.exc_text = _CONTROLS_BUT_NEWLINE.sub(_escape, text[:MAX_TRACEBACK]) + tail
        return True


class SecretRedactingFilter(logging.Filter):
    def __init__(self, secrets: tuple[str, ...]):
        super().__init__()
        # Longest first so a secret that contains another is masked whole.
        self._secrets = tuple(sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:
            # A malformed call ("%s %s" with one arg) must not raise into the caller, and
            # logging's own error report would print msg and args unredacted.
            message = f"{record.msg} (unformattable log arguments: {record.args!r})"
            record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure_logging(level: str, secrets: tuple[str, ...]) -> None:
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "_logsale", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"))
        handler._logsale = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    redactor = SecretRedactingFilter(secrets)
    limiter = SafeLineFilter()
    # Filters on handlers see records from every logger (filters on loggers don't propagate).
    # Redact first, on the whole text; then escape and cap.
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, (SecretRedactingFilter, SafeLineFilter))]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
        handler.addFilter(limiter)
