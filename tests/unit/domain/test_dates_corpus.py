"""Typed dates from tests/data/typed_dates.csv, each with the instant the person meant.

The expected values were worked out by hand per row (the file says how), not taken from
the parser. A row whose expected value is "error" must be refused with a SalesDateError.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from bot.domain.dates import SalesDateError, format_for_user, parse_sales_date

CORPUS = Path(__file__).parents[2] / "data" / "typed_dates.csv"


def _rows() -> list[dict[str, str]]:
    with CORPUS.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(line for line in file if not line.startswith("#")))


ROWS = _rows()


def test_the_corpus_covers_what_the_issue_asks_for():
    assert len(ROWS) >= 150
    zones = {row["tz"] for row in ROWS}
    assert len(zones - {""}) >= 6
    assert {"Australia/Sydney", "Pacific/Auckland"} <= zones  # southern-hemisphere DST
    locales = {row["locale"] for row in ROWS}
    assert "en-US" in locales and {"en-IN", "en-GB"} <= locales  # month-first and day-first
    assert sum(row["expected"] == "error" for row in ROWS) >= 30
    keys = [(row["text"], row["tz"], row["locale"], row["now"]) for row in ROWS]
    assert len(keys) == len(set(keys)), "duplicate rows"


@pytest.mark.parametrize("row", ROWS, ids=[f"{row['tz'] or 'UTC'}|{row['text']}|{row['now'][:10]}" for row in ROWS])
def test_typed_date(row):
    now = datetime.fromisoformat(row["now"])
    if row["expected"] == "error":
        with pytest.raises(SalesDateError) as caught:
            parse_sales_date(row["text"], tz=row["tz"], locale=row["locale"] or None, now=now)
        assert row["error_contains"] in caught.value.message
        return
    expected = datetime.fromisoformat(row["expected"])
    result = parse_sales_date(row["text"], tz=row["tz"], locale=row["locale"] or None, now=now)
    assert result == expected, f"{row['why']}: got {result:%Y-%m-%d %H:%M} UTC"
    # And the bot's echo of it reads back as the same instant for the same person.
    shown = format_for_user(result, row["tz"])
    assert parse_sales_date(shown, tz=row["tz"], locale=row["locale"] or None, now=now) == expected, shown
