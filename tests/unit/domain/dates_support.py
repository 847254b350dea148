"""What the date tests share: the moment of typing, shorthands, and a catcher for the parser's
last-resort ERROR log (it logs one only on a real bug)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from bot.domain.dates import SalesDateError, parse_sales_date

UTC = timezone.utc
# Friday 27 Nov 2026, 10:00 UTC = 15:30 in India, 05:00 in New York (EST).
NOW = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
KOLKATA = "Asia/Kolkata"


def parse(text, tz=KOLKATA, locale=None, now=NOW):
    return parse_sales_date(text, tz=tz, locale=locale, now=now)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def assert_rejected(text, *fragments, **kwargs):
    with pytest.raises(SalesDateError) as caught:
        parse(text, **kwargs)
    message = caught.value.message
    assert message and message == str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


class ErrorLog(logging.Handler):
    """Collects ERROR records."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)
