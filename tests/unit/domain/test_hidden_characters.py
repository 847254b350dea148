"""The hidden-character checks take ``str.isprintable`` (C) as a short cut. It must answer exactly
as the category rules they are written from, for every character Python knows."""

from __future__ import annotations

import sys
import unicodedata

from bot.domain.dates import _HIDDEN_CHAR_CATEGORIES, _is_printable
from bot.domain.validation import has_control_characters
from bot.slack_ui import shapes

CONTROL = ("Cc", "Cf", "Cs", "Co", "Cn")  # control, format, surrogate, private use, unassigned


def test_every_code_point_is_judged_as_its_unicode_category_says():
    wrong = []
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        category = unicodedata.category(ch)
        if has_control_characters(f"ok{ch}ok") != (category in CONTROL):
            wrong.append(("validation", hex(point), category))
        if _is_printable(f"ok{ch}ok") != (category not in _HIDDEN_CHAR_CATEGORIES):
            wrong.append(("dates", hex(point), category))
    assert wrong == []


def test_a_response_url_with_any_ascii_space_or_control_character_is_no_response_url():
    good = "https://hooks.slack.com/commands/T1/2/abc"
    assert shapes.response_url(good) == good
    for point in range(128):
        ch = chr(point)
        expected = None if (ch.isspace() or point < 32) else good + ch
        assert shapes.response_url(good + ch) == expected, repr(ch)
