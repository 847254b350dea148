"""The App Home tab, built with slack_sdk.models (to_dict() enforces Slack's limits).

Each salesperson sees a "Log a sale" button, their month so far, and their last sales with
where each stands in words and the one action that applies to it. LOGSALE_ADMINS also see
the team's sales that need attention, with Retry and Mark resolved. As in every message
(bot/slack_ui/messages.py), text from users and LeadSquared is shown literally: it goes only
into plain_text objects, worded by the same helpers (picked lead/product labels, revenue in the
account's currency grouped the user's way); the mrkdwn parts are our own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.delivery.outbox import SaleRecord, SaleState
from bot.leadsquared.currency import AccountCurrency
from bot.slack_limits import MAX_BLOCKS
from bot.slack_ui import messages

OPEN_MODAL_ACTION = "logsale_open"
EDIT_RETRY_ACTION = "logsale_home_edit_retry"
UNDO_ACTION = "logsale_home_undo"
RETRY_ACTION = "logsale_home_retry"  # admins: put a failed/unknown sale back in the queue
RESOLVE_ACTION = "logsale_home_resolve"  # admins: settled by hand, stop showing it
MAX_ATTENTION_ROWS = 20  # 2 blocks each; the whole tab stays well under Slack's 100 blocks

STATE_WORDS = {
    SaleState.PENDING: "queued",
    SaleState.POSTING: "queued",
    SaleState.DONE: "posted",
    SaleState.FAILED: "needs attention",
    SaleState.UNKNOWN: "needs attention",
    SaleState.CANCELLED: "undone",
    SaleState.RESOLVED: "resolved by an admin",
}


@dataclass(frozen=True)
class HomeData:
    month_label: str  # "November 2026"
    month_count: int
    month_revenue: str  # a plain number as text, "36000.50"
    recent: list[SaleRecord] = field(default_factory=list)
    attention: list[SaleRecord] | None = None  # None: not an admin, no team section
    attention_total: int = 0
    notice: str | None = None  # our own mrkdwn words: the outcome of a button just pressed
    notice_detail: str | None = None  # literal text under the notice (LeadSquared's reason)
    locale: str | None = None  # the user's Slack locale: how the month's revenue is grouped
    currency: AccountCurrency | None = None  # the account's, for revenue; None: a plain number


def state_in_words(record: SaleRecord) -> str:
    words = STATE_WORDS.get(record.state, record.state.value)
    if record.state is SaleState.UNKNOWN:
        words += " (may or may not be in LeadSquared: an admin checks)"
    return words


def _sale_line(record: SaleRecord, currency: AccountCurrency | None) -> PlainTextObject:
    """The sale as literal text, worded like /logsale history."""
    return _plain(
        f"{messages.one_line(messages.sale_date_for_user(record))} · {messages.sale_in_words(record, currency)}"
    )


def _own_sale_block(record: SaleRecord, currency: AccountCurrency | None) -> SectionBlock:
    text = f"*{state_in_words(record)}*"
    leadsquared_id = messages.safe_id(record.leadsquared_id)
    if leadsquared_id:
        text += f" · LeadSquared Id `{leadsquared_id}`"
    fields = [_sale_line(record, currency)]
    if record.state is SaleState.FAILED and record.last_error:
        fields.append(_plain(messages.one_line(record.last_error)))
    accessory = None
    if record.state is SaleState.FAILED:
        accessory = ButtonElement(action_id=EDIT_RETRY_ACTION, text="Edit & retry", value=str(record.id))
    elif record.state is SaleState.DONE:
        accessory = ButtonElement(
            action_id=UNDO_ACTION,
            text="Undo",
            value=str(record.id),
            confirm=ConfirmObject(
                title="Undo this sale?",
                text="It will be cancelled in LeadSquared.",
                confirm="Undo",
                deny="Keep it",
            ),
        )
    return SectionBlock(block_id=f"sale_{record.id}", text=_mrkdwn(text), fields=fields, accessory=accessory)


def _attention_blocks(record: SaleRecord, currency: AccountCurrency | None) -> list:
    what = "outcome unknown" if record.state is SaleState.UNKNOWN else "failed"
    fields = [_sale_line(record, currency)]
    if record.last_error:
        fields.append(_plain(messages.one_line(record.last_error)))
    return [
        SectionBlock(
            block_id=f"attention_{record.id}",
            text=_mrkdwn(f"{messages.mention(record.user_id)} · *{what}*"),
            fields=fields,
        ),
        ActionsBlock(
            block_id=f"attention_actions_{record.id}",
            elements=[
                ButtonElement(action_id=RETRY_ACTION, text="Retry", value=str(record.id), style="primary"),
                ButtonElement(
                    action_id=RESOLVE_ACTION,
                    text="Mark resolved",
                    value=str(record.id),
                    confirm=ConfirmObject(
                        title="Mark as resolved?",
                        text="LogSale will stop retrying and showing this sale. Use it when it was "
                        "settled in LeadSquared by hand.",
                        confirm="Mark resolved",
                        deny="Cancel",
                    ),
                ),
            ],
        ),
    ]


def _plain(text: str) -> PlainTextObject:
    # Section fields hold at most 2000 characters.
    return messages.literal(text, messages.MAX_FIELD_TEXT)


def _mrkdwn(text: str) -> MarkdownTextObject:
    """Our own words only; never user or LeadSquared text."""
    if len(text) > messages.MAX_SECTION_TEXT:
        text = text[: messages.MAX_SECTION_TEXT - 1] + "…"
    return MarkdownTextObject(text=text)


def build_home_view(data: HomeData) -> dict:
    """The views.publish payload for one user's Home tab."""
    blocks: list = []
    if data.notice:
        blocks.append(
            SectionBlock(
                block_id="notice",
                text=_mrkdwn(data.notice),
                fields=[_plain(messages.one_line(data.notice_detail))] if data.notice_detail else None,
            )
        )
    blocks += [
        HeaderBlock(text="LogSale"),
        SectionBlock(block_id="intro", text=_mrkdwn("Log a sale in LeadSquared without leaving Slack.")),
        ActionsBlock(
            block_id="open",
            elements=[ButtonElement(action_id=OPEN_MODAL_ACTION, text="Log a sale", style="primary")],
        ),
        SectionBlock(
            block_id="month",
            text=_mrkdwn(
                f"*{messages.escape(data.month_label)} so far:* {data.month_count} "
                f"sale{'s' if data.month_count != 1 else ''} posted"
            ),
            # The currency symbol comes from LeadSquared's settings: literal, like the rest.
            fields=[_plain("Revenue: " + messages.format_revenue(data.month_revenue, data.locale, data.currency))],
        ),
        DividerBlock(),
        HeaderBlock(text="Your last sales"),
    ]
    if data.recent:
        blocks += [_own_sale_block(record, data.currency) for record in data.recent]
    else:
        blocks.append(SectionBlock(block_id="no_sales", text=_mrkdwn("No sales yet. Press *Log a sale* to start.")))
    if data.attention is not None:
        blocks += [DividerBlock(), HeaderBlock(text="Team sales that need attention")]
        if not data.attention:
            blocks.append(SectionBlock(block_id="attention_none", text=_mrkdwn("Nothing needs attention.")))
        for record in data.attention[:MAX_ATTENTION_ROWS]:
            blocks += _attention_blocks(record, data.currency)
        hidden = data.attention_total - min(len(data.attention), MAX_ATTENTION_ROWS)
        if hidden > 0:
            blocks.append(
                ContextBlock(elements=[_mrkdwn(f"…and {hidden} more: `python -m bot queue list` shows them all.")])
            )
    return View(type="home", blocks=blocks[:MAX_BLOCKS]).to_dict()
