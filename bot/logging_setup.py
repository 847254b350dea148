"""Logging that can't leak a key.

Keys travel only in headers and we never log headers ourselves, but libraries at DEBUG
(slack_sdk logs request headers and bodies) might. The filter masks every configured
secret value in every record, whoever logged it.
"""

from __future__ import annotations

import logging

REDACTED = "[redacted]"


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
    # Filters on handlers see records from every logger (filters on loggers don't propagate).
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretRedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
