"""Every message the bot says in Slack, built in one place with slack_sdk.models.

Text from users and from LeadSquared is shown literally, never as markup: it only ever goes
into ``plain_text`` objects (with ``emoji`` off), which Slack does not parse for bold,
italics, code, quotes, links or mentions. The ``mrkdwn`` parts and each message's fallback
``text`` (also mrkdwn, and it can't be switched off for response_url posts) are our own fixed
words, plus the submitter's mention and LeadSquared Ids only when they are what they look like.

Leads and products read as people know them: "Priya Shah (priya@acme.in)", "SKU-PRO · Pro plan";
revenue as "₹12,00,000" (the account's currency symbol, grouped the user's Slack locale's way).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.delivery.outbox import SaleRecord, SaleState
from bot.domain.dates import format_for_user
from bot.domain.lead_text import lead_kind
from bot.leadsquared.currency import AccountCurrency
from bot.leadsquared.search import SEPARATOR, typed_choice
from bot.slack_limits import MAX_FIELD_TEXT, MAX_SECTION_TEXT

EDIT_RETRY_ACTION = "logsale_edit_retry"
UNDO_ACTION = "logsale_undo"
MAX_HISTORY = 40  # one section each; Slack allows 50 blocks in a message
DEFAULT_LOCALE = "en_US"
# Slack's locale codes that aren't CLDR's: "es-LA" is Slack's Latin-American Spanish.
_LOCALE_ALIASES = {"es-la": "es-419"}
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def escape(text: object) -> str:
    """Slack mrkdwn escaping: the three characters Slack treats as markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: object) -> str:
    """Control characters and line breaks as spaces, runs of spaces as one."""
    return " ".join("".join(" " if ch < " " or "\x7f" <= ch <= "\x9f" else ch for ch in str(text)).split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = MAX_SECTION_TEXT) -> PlainTextObject:
    """Literal text: Slack renders a plain_text object as is (emoji off: ":x:" stays ":x:")."""
    return PlainTextObject(text=_clip(text, limit) or " ", emoji=False)


def _markdown(text: str) -> SectionBlock:
    """A section of our own mrkdwn. Never put user or LeadSquared text in here."""
    return SectionBlock(text=MarkdownTextObject(text=_clip(text, MAX_SECTION_TEXT)))


def _mention(user_id: str | None) -> str:
    """A mention of a Slack user, only for a real user id (nothing else turns into markup)."""
    return f"<@{user_id}>" if user_id and _SLACK_USER_ID.match(user_id) else "Someone"


def _id_text(leadsquared_id: str | None) -> str:
    return leadsquared_id if leadsquared_id and _SAFE_ID.match(leadsquared_id) else ""


# For the App Home (bot/slack_ui/home.py), which words sales the same way as these messages.
literal = _plain
mention = _mention
safe_id = _id_text


# --- currency -------------------------------------------------------------------------------


# --- revenue --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _locale(slack_locale: str | None) -> Locale:
    """Slack's locale ("en-IN", "es-LA") as a Babel locale; its language alone, or en-US, when
    Babel doesn't know it."""
    text = (slack_locale or "").strip().replace("_", "-")
    text = _LOCALE_ALIASES.get(text.lower(), text)
    for candidate in (text, text.split("-")[0]):
        if not candidate:
            continue
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(DEFAULT_LOCALE)


def group_number(value: Decimal, slack_locale: str | None = None) -> str:
    """The amount grouped and punctuated the locale's way: en-IN 12,00,000; en-US 1,200,000;
    de-DE 1.200.000,50. Whole amounts without decimals; others with at least two, never rounded."""
    locale = _locale(slack_locale)
    integer_part = locale.decimal_formats[None].pattern.split(";")[0].split(".")[0]
    exponent = value.normalize().as_tuple().exponent
    decimals = 0 if value == value.to_integral_value() else max(2, -exponent if isinstance(exponent, int) else 2)
    pattern = integer_part + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale)


def format_revenue(revenue: str, slack_locale: str | None = None, currency: AccountCurrency | None = None) -> str:
    """ "₹12,00,000" / "$1,200,000.50" / "1.200.000 €"; the number alone without a currency,
    and the text as it was when it isn't a number."""
    try:
        value = Decimal(str(revenue).strip())
    except (InvalidOperation, ValueError):
        return str(revenue)
    if not value.is_finite():
        return str(revenue)
    number = group_number(value, slack_locale)
    if currency is None or not currency.symbol:
        return number
    pattern = _locale(slack_locale).currency_formats["standard"].pattern.split(";")[0]
    digits = [i for i, ch in enumerate(pattern) if ch in "#0"]
    prefix, suffix = pattern[: digits[0]], pattern[digits[-1] + 1 :]
    symbol = currency.symbol
    if "¤" in suffix:
        return number + suffix.replace("¤", symbol)
    if prefix == "¤" and symbol[-1].isalpha():
        prefix = "¤\u00a0"  # "USD 12,000", not "USD12,000"
    return prefix.replace("¤", symbol) + number


# --- what a sale is, in words -----------------------------------------------------------------


def sale_date_for_user(record: SaleRecord) -> str:
    return format_for_user(record.sale.sales_date_utc, record.user_tz) if record.sale else ""


def _picked(label: str, value: str) -> str:
    """The picked option's text when it says more than the value ("Use “x”" says nothing more)."""
    label, value = one_line(label), one_line(value)
    if not label or not value or label == value or label == typed_choice(value).label:
        return ""
    return label


def _person(option_text: str) -> str:
    """A lead option's text ("Priya Shah · priya@acme.in · 98765 43210") as "Priya Shah (priya@acme.in)"."""
    parts = option_text.split(SEPARATOR)
    emails = [i for i, part in enumerate(parts) if "@" in part]
    if emails and emails[-1] > 0:
        at = emails[-1]
        return f"{SEPARATOR.join(parts[:at])} ({parts[at]})"
    if not emails and len(parts) > 1 and lead_kind(parts[-1]) == "phone":
        return f"{SEPARATOR.join(parts[:-1])} ({parts[-1]})"
    return option_text


def lead_description(record: SaleRecord) -> str:
    """Who bought, as a person reads it: the picked search option, else the name LeadSquared
    gave for the typed email/phone, with what was typed; else what was typed."""
    raw = record.raw
    if one_line(raw.lead).lower() == one_line(record.lead_text).lower():
        picked = _picked(raw.lead_label, raw.lead)
        if picked:
            return _person(picked)
    label, text = one_line(record.lead_label or ""), one_line(record.lead_text)
    if label and label != text:
        return f"{label} ({text})"
    return label or text


def product_description(record: SaleRecord) -> str:
    """ "SKU-PRO · Pro plan" when picked from the search, else the SKU."""
    sku = one_line(record.product_sku)
    picked = _picked(record.raw.product_label, record.raw.product_sku)
    if picked and sku and picked.lower().startswith(sku.lower()):
        return picked
    return sku


def revenue_description(record: SaleRecord, currency: AccountCurrency | None = None) -> str:
    return one_line(format_revenue(record.revenue, record.user_locale, currency))


def _summary(record: SaleRecord, currency: AccountCurrency | None) -> SectionBlock:
    """The sale, field by field, as literal text."""
    fields = [
        f"Lead: {lead_description(record)}",
        f"Product: {product_description(record)}",
        f"Status: {one_line(record.status)}",
        f"Revenue: {revenue_description(record, currency)}",
        f"Sale date: {one_line(sale_date_for_user(record))}",
    ]
    return SectionBlock(fields=[_plain(f, MAX_FIELD_TEXT) for f in fields])


def sale_in_words(record: SaleRecord, currency: AccountCurrency | None = None) -> str:
    """One line: "Priya Shah (priya@acme.in) · SKU-PRO · Pro plan · Won · ₹12,000"."""
    return " · ".join(
        (
            lead_description(record),
            product_description(record),
            one_line(record.status),
            revenue_description(record, currency),
        )
    )


# --- messages ------------------------------------------------------------------------------------


def _message(text: str, blocks: list) -> dict:
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def posted_message(record: SaleRecord, currency: AccountCurrency | None = None) -> dict:
    """The channel's announcement of a logged sale."""
    who = _mention(record.user_id)
    leadsquared_id = _id_text(record.leadsquared_id)
    blocks = [
        _markdown(f":white_check_mark: {who} logged a sale in LeadSquared"),
        _summary(record, currency),
        ContextBlock(elements=[_plain(f"LeadSquared Id: {one_line(record.leadsquared_id or '')}", 2000)]),
        ActionsBlock(
            block_id="logsale_posted",
            elements=[ButtonElement(action_id=UNDO_ACTION, text="Undo", value=str(record.id))],
        ),
    ]
    text = f"{who} logged a sale in LeadSquared" + (f", Id {leadsquared_id}" if leadsquared_id else "")
    return _message(text, blocks)


def failed_message(record: SaleRecord, currency: AccountCurrency | None = None) -> dict:
    """Only the submitter sees this: what went wrong, in plain words, and a way back."""
    explanation = one_line(record.last_error or "") or "Something went wrong."
    blocks = [
        _markdown(":warning: *Your sale was not logged in LeadSquared.*"),
        SectionBlock(text=_plain(explanation)),
        _summary(record, currency),
    ]
    if record.state is SaleState.FAILED:
        blocks.append(
            ActionsBlock(
                block_id="logsale_failed",
                elements=[
                    ButtonElement(
                        action_id=EDIT_RETRY_ACTION,
                        text="Edit & retry",
                        value=str(record.id),
                        style="primary",
                    )
                ],
            )
        )
    return _message("Your sale was not logged in LeadSquared.", blocks)


def delayed_message(record: SaleRecord, currency: AccountCurrency | None = None) -> dict:
    reason = one_line(record.last_error or "") or "LeadSquared is not answering right now."
    queued = (
        "Your sale is saved and queued: I'll post it to LeadSquared automatically and announce it "
        "in this channel. No need to log it again."
    )
    blocks = [
        _markdown(f":hourglass_flowing_sand: {queued}"),
        SectionBlock(text=_plain(reason)),
        _summary(record, currency),
    ]
    return _message(queued, blocks)


def undone_message(record: SaleRecord, by_user_id: str, currency: AccountCurrency | None = None) -> dict:
    blocks = [
        _markdown(f":leftwards_arrow_with_hook: ~Sale logged in LeadSquared~ — undone by {_mention(by_user_id)}."),
        _summary(record, currency),
        ContextBlock(elements=[_plain(f"LeadSquared Id: {one_line(record.leadsquared_id or '')} (cancelled)", 2000)]),
    ]
    return _message("Sale undone", blocks)


def undo_failed_message(explanation: str) -> dict:
    """Undo didn't work: LeadSquared's reason, literally."""
    blocks = [_markdown("I couldn't undo it."), SectionBlock(text=_plain(one_line(explanation) or " "))]
    return _message("I couldn't undo it.", blocks)


def undo_note(record: SaleRecord, who: str, user_id: str, currency: AccountCurrency | None = None) -> str:
    """The note LeadSquared keeps with the cancelled activity (plain text, not Slack)."""
    return f"Undone from Slack (/logsale) by {one_line(who)} ({one_line(user_id)}): {sale_in_words(record, currency)}"


def text_message(text: str) -> dict:
    """A one-paragraph message of our own words (mrkdwn). No user or LeadSquared text in it."""
    return {"text": text, "blocks": [_markdown(text).to_dict()]}


STATE_LABELS = {
    SaleState.PENDING: "queued",
    SaleState.POSTING: "posting",
    SaleState.DONE: "logged",
    SaleState.FAILED: "failed",
    SaleState.UNKNOWN: "unknown — check LeadSquared",
    SaleState.CANCELLED: "undone",
    SaleState.RESOLVED: "resolved by an admin",
}


def history_line(record: SaleRecord, currency: AccountCurrency | None = None) -> str:
    parts = [one_line(sale_date_for_user(record)), sale_in_words(record, currency), STATE_LABELS[record.state]]
    if record.leadsquared_id:
        parts.append(f"Id {one_line(record.leadsquared_id)}")
    return " · ".join(parts)


def history_message(records: list[SaleRecord], currency: AccountCurrency | None = None) -> dict:
    if not records:
        return text_message("You haven't logged any sales with /logsale yet.")
    shown = records[:MAX_HISTORY]
    title = "Your last sale" if len(shown) == 1 else f"Your last {len(shown)} sales"
    blocks = [_markdown(f"*{title}*")] + [SectionBlock(text=_plain(history_line(r, currency))) for r in shown]
    return _message(title, blocks)
