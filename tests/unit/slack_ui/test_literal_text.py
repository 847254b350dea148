"""Text from users and LeadSquared renders as text: no bold, italics, strike, code, quote, emoji,
mention, link or broadcast can come out of it, in the blocks or the fallback ``text``.

How Slack renders, as its "Formatting text for app surfaces" docs and the text object reference
describe it (the assumptions this test is written from):

* A ``plain_text`` object is shown as it is; the only thing Slack does to it is turn ``:name:``
  into an emoji when ``emoji`` is true.
* A ``mrkdwn`` object, and a message's top-level ``text``, are parsed:
  ``*bold*``, ``_italic_``, ``~strike~``, ``` `code` ```, ```` ```block``` ````, a line starting
  with ``>`` (sent as ``&gt;``) is a quote; ``<…>`` is a control sequence: ``<@U…>`` mention,
  ``<#C…>`` channel, ``<!here>``/``<!channel>``/``<!everyone>`` broadcast, ``<!subteam^…>``
  group, anything else a link; ``&lt;``/``&gt;``/``&amp;`` are shown as ``< > &`` and never
  parsed. With ``verbatim`` off (the default) URLs, ``www.`` addresses, ``#channel`` names and
  ``@here``-style mentions are linked automatically, and ``:name:`` is an emoji.

The model below is deliberately stricter than Slack: any pair of one marker character on a line
counts as formatting, whatever surrounds it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.delivery.outbox import SaleState
from bot.domain.model import RawSale
from bot.leadsquared.currency import AccountCurrency
from bot.slack_ui.messages import (
    delayed_message,
    failed_message,
    history_message,
    posted_message,
    undo_failed_message,
    undone_message,
)
from tests.unit.slack_ui.test_slack_ui import USER_ID, make_record

OUR_BUTTON_LABELS = {"Undo", "Edit & retry"}


def markup_in_mrkdwn(text: str) -> set[tuple[str, str]]:
    """What Slack would turn into something other than plain characters (see the module doc)."""
    found: set[tuple[str, str]] = set()
    for sequence in re.findall(r"<([^<>]*)>", text):
        if sequence.startswith("@"):
            found.add(("mention", sequence))
        elif sequence.startswith("#"):
            found.add(("channel", sequence))
        elif sequence.startswith("!"):
            found.add(
                ("broadcast" if sequence.split("|")[0] in ("!here", "!channel", "!everyone") else "special", sequence)
            )
        else:
            found.add(("link", sequence))
    for line in text.split("\n"):
        if line.startswith((">", "&gt;")):
            found.add(("quote", line))
        for marker, kind in (("*", "bold"), ("_", "italic"), ("~", "strike"), ("`", "code")):
            pieces = line.split(marker)
            for inner in pieces[1:-1]:  # text between two markers on this line
                if inner.strip():
                    found.add((kind, inner))
        for emoji in re.findall(r":[^:\s]+:", line):
            found.add(("emoji", emoji))
        for auto in re.findall(
            r"(?i)\b(?:https?://|mailto:|www\.)\S*|@(?:here|channel|everyone)\b|(?<!\w)#[\w-]+", line
        ):
            found.add(("auto", auto))
    return found


def rendered_markup(message: dict) -> set[tuple[str, str]]:
    """Every piece of markup Slack would render in the message, blocks and fallback text."""
    found = {("text:" + kind, detail) for kind, detail in markup_in_mrkdwn(message["text"])}

    def walk(node):
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "mrkdwn" and isinstance(node.get("text"), str):
                found.update(markup_in_mrkdwn(node["text"]))
            elif kind == "plain_text" and isinstance(node.get("text"), str) and node.get("emoji", True):
                found.update(("emoji", e) for e in re.findall(r":[^:\s]+:", node["text"]))
                if node["text"] not in OUR_BUTTON_LABELS:
                    found.add(("plain_text with emoji on", node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message["blocks"])
    return found


# --- the model itself --------------------------------------------------------------------------


def test_the_model_sees_what_slack_formats():
    assert ("bold", "Big") in markup_in_mrkdwn("*Big* _Deal_")
    assert ("italic", "Deal") in markup_in_mrkdwn("*Big* _Deal_")
    assert ("strike", "gone") in markup_in_mrkdwn("~gone~")
    assert ("code", "x") in markup_in_mrkdwn("`x`")
    assert ("broadcast", "!channel") in markup_in_mrkdwn("hi <!channel>")
    assert ("link", "https://evil|bank") in markup_in_mrkdwn("<https://evil|bank>")
    assert ("quote", "&gt; said") in markup_in_mrkdwn("a\n&gt; said")
    assert ("emoji", ":fire:") in markup_in_mrkdwn(":fire:")
    assert ("auto", "@here") in markup_in_mrkdwn("ping @here")
    assert ("auto", "www.evil.com") in markup_in_mrkdwn("see www.evil.com")


def test_the_model_leaves_escaped_and_plain_text_alone():
    assert markup_in_mrkdwn("&lt;!channel&gt; a &amp; b, 3 * 4") == set()
    message = {
        "text": "ok",
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "*Big*", "emoji": False}}],
    }
    assert rendered_markup(message) == set()


# --- every message, fuzzed ----------------------------------------------------------------------

DANGEROUS = [
    "*Big*",
    "_Deal_",
    "~x~",
    "`code`",
    "```pre```",
    "> quote",
    "\n> quote",
    "\n&gt; quote",
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<@U999EVIL>",
    "<#C123|general>",
    "<https://evil.example|your bank>",
    "https://evil.example",
    "www.evil.example",
    "mailto:x@y.z",
    "@channel",
    "@here",
    "#general",
    ":fire:",
    "&lt;!channel&gt;",
    "&amp;",
    "\u202e",
    "\x00",
    "\r\n",
]
hostile_text = st.lists(st.one_of(st.sampled_from(DANGEROUS), st.text(max_size=8)), max_size=6).map("".join)


def neutral_record():
    return make_record(
        raw=RawSale(lead="plain", product_sku="plain", lead_label="plain person", product_label="plain product"),
        lead_text="plain",
        lead_label="Plain",
        product_sku="plain",
        status="Won",
        revenue="100",
        last_error="plain reason",
        leadsquared_id="a1b2c3d4-0000-1111-2222-333344445555",
    )


def every_message(record, currency=None) -> list[dict]:
    return [
        posted_message(record, currency),
        failed_message(replace(record, state=SaleState.FAILED), currency),
        failed_message(replace(record, state=SaleState.UNKNOWN), currency),
        delayed_message(replace(record, state=SaleState.PENDING), currency),
        history_message([record, replace(record, id=43, state=SaleState.CANCELLED)], currency),
        undone_message(replace(record, state=SaleState.CANCELLED), USER_ID, currency),
        undo_failed_message(record.last_error or ""),
    ]


EXPECTED = [rendered_markup(m) for m in every_message(neutral_record())]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lead=hostile_text,
    lead_label=hostile_text,
    sku=hostile_text,
    product_label=hostile_text,
    resolved_label=hostile_text,
    status=hostile_text,
    # The stored sale is typed: its revenue is a number and its date a date, never text.
    revenue=st.sampled_from(["12000", "1200000.5", "-5", "1e9"]),
    leadsquared_id=hostile_text,
    error=hostile_text,
    locale=st.one_of(st.none(), hostile_text, st.sampled_from(["en-IN", "de-DE", "es-LA"])),
    same_lead=st.booleans(),
    currency_symbol=hostile_text,
)
def test_no_user_or_leadsquared_text_becomes_markup(
    lead,
    lead_label,
    sku,
    product_label,
    resolved_label,
    status,
    revenue,
    leadsquared_id,
    error,
    locale,
    same_lead,
    currency_symbol,
):
    record = make_record(
        raw=RawSale(lead=lead, product_sku=sku, lead_label=lead_label, product_label=product_label),
        lead_text=lead if same_lead else f"{lead}x",
        lead_label=resolved_label or None,
        product_sku=sku,
        status=status,
        revenue=revenue,
        leadsquared_id=leadsquared_id or None,
        last_error=error or None,
        user_locale=locale,
    )
    currency = AccountCurrency(currency_symbol, "") if currency_symbol else None
    rendered = [rendered_markup(m) for m in every_message(record, currency)]
    for got, expected in zip(rendered, EXPECTED, strict=True):
        # Only the bot's own markup, never more (an odd Id or user id only ever removes some).
        assert got <= expected, got - expected
