"""The App Home tab, built with slack_sdk.models (to_dict() enforces Slack's limits).

Each salesperson sees a "Log a sale" button, their month so far, and their last sales with
where each stands in words and the one action that applies to it. LOGSALE_ADMINS also see
the team's sales that need attention, with Retry and Mark resolved. All user text goes
through messages.escape, like every other message.
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
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.outbox import SaleRecord, SaleState
from bot.slack_ui import messages

OPEN_MODAL_ACTION = "logsale_open"
EDIT_RETRY_ACTION = "logsale_home_edit_retry"
UNDO_ACTION = "logsale_home_undo"
RETRY_ACTION = "logsale_home_retry"  # admins: put a failed/unknown sale back in the queue
RESOLVE_ACTION = "logsale_home_resolve"  # admins: settled by hand, stop showing it
MAX_ATTENTION_ROWS = 20  # 2 blocks each; the whole tab stays well under Slack's 100 blocks
MAX_BLOCKS = 100

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
    notice: str | None = None  # already escaped: the outcome of a button just pressed


def state_in_words(record: SaleRecord) -> str:
    words = STATE_WORDS.get(record.state, record.state.value)
    if record.state is SaleState.UNKNOWN:
        words += " (may or may not be in LeadSquared: an admin checks)"
    return words


def _sale_line(record: SaleRecord) -> str:
    return (
        f"{messages.escape(messages.sale_date_for_user(record))} · {messages.escape(messages.lead_description(record))}"
        f" · {messages.escape(record.product_sku)} · {messages.escape(record.status)}"
        f" · {messages.escape(messages.format_revenue(record.revenue))}"
    )


def _own_sale_block(record: SaleRecord) -> SectionBlock:
    text = f"{_sale_line(record)}\n*{state_in_words(record)}*"
    if record.leadsquared_id:
        text += f" · LeadSquared Id `{messages.escape(record.leadsquared_id)}`"
    if record.state is SaleState.FAILED and record.last_error:
        text += f"\n_{messages.escape(record.last_error)}_"
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
    return SectionBlock(block_id=f"sale_{record.id}", text=_mrkdwn(text), accessory=accessory)


def _attention_blocks(record: SaleRecord) -> list:
    what = "outcome unknown" if record.state is SaleState.UNKNOWN else "failed"
    text = f"<@{record.user_id}> · {_sale_line(record)}\n*{what}*"
    if record.last_error:
        text += f": {messages.escape(record.last_error)}"
    return [
        SectionBlock(block_id=f"attention_{record.id}", text=_mrkdwn(text)),
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


def _mrkdwn(text: str) -> MarkdownTextObject:
    if len(text) > messages.MAX_SECTION_TEXT:
        text = text[: messages.MAX_SECTION_TEXT - 1] + "…"
    return MarkdownTextObject(text=text)


def build_home_view(data: HomeData) -> dict:
    """The views.publish payload for one user's Home tab."""
    blocks: list = []
    if data.notice:
        blocks.append(SectionBlock(block_id="notice", text=_mrkdwn(data.notice)))
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
                f"sale{'s' if data.month_count != 1 else ''} posted · revenue "
                f"*{messages.escape(messages.format_revenue(data.month_revenue))}*"
            ),
        ),
        DividerBlock(),
        HeaderBlock(text="Your last sales"),
    ]
    if data.recent:
        blocks += [_own_sale_block(record) for record in data.recent]
    else:
        blocks.append(SectionBlock(block_id="no_sales", text=_mrkdwn("No sales yet. Press *Log a sale* to start.")))
    if data.attention is not None:
        blocks += [DividerBlock(), HeaderBlock(text="Team sales that need attention")]
        if not data.attention:
            blocks.append(SectionBlock(block_id="attention_none", text=_mrkdwn("Nothing needs attention.")))
        for record in data.attention[:MAX_ATTENTION_ROWS]:
            blocks += _attention_blocks(record)
        hidden = data.attention_total - min(len(data.attention), MAX_ATTENTION_ROWS)
        if hidden > 0:
            blocks.append(
                ContextBlock(elements=[_mrkdwn(f"…and {hidden} more: `python -m bot queue list` shows them all.")])
            )
    return View(type="home", blocks=blocks[:MAX_BLOCKS]).to_dict()
