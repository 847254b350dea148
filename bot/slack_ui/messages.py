"""Every message the bot says in Slack, built in one place with slack_sdk.models.

Every string a user typed (or LeadSquared returned) goes through escape() before it
lands in mrkdwn, so nobody can @channel or fake a link through a field.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.dates import format_for_user
from bot.domain.model import LEADSQUARED_DATE_FORMAT
from bot.domain.outbox import SaleRecord, SaleState

EDIT_RETRY_ACTION = "logsale_edit_retry"
UNDO_ACTION = "logsale_undo"
MAX_SECTION_TEXT = 3000


def escape(text: object) -> str:
    """Slack mrkdwn escaping: the three characters Slack treats as markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> SectionBlock:
    if len(text) > MAX_SECTION_TEXT:
        text = text[: MAX_SECTION_TEXT - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=text))


def format_revenue(revenue: str) -> str:
    try:
        value = Decimal(revenue)
    except (InvalidOperation, ValueError):
        return revenue
    return f"{value:,.2f}" if value != value.to_integral_value() else f"{value:,.0f}"


def sale_date_for_user(record: SaleRecord) -> str:
    from datetime import datetime, timezone

    try:
        when = datetime.strptime(record.sales_date, LEADSQUARED_DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return record.sales_date
    return format_for_user(when, record.user_tz)


def lead_description(record: SaleRecord) -> str:
    if record.lead_label and record.lead_label != record.lead_text:
        return f"{record.lead_label} ({record.lead_text})"
    return record.lead_label or record.lead_text


def sale_summary(record: SaleRecord) -> str:
    return (
        f"*Lead:* {escape(lead_description(record))}\n"
        f"*SKU:* {escape(record.product_sku)}   *Status:* {escape(record.status)}   "
        f"*Revenue:* {escape(format_revenue(record.revenue))}\n"
        f"*Sale date:* {escape(sale_date_for_user(record))}"
    )


def posted_message(record: SaleRecord) -> dict:
    """The channel's announcement of a logged sale."""
    blocks = [
        _section(f":white_check_mark: <@{record.user_id}> logged a sale in LeadSquared\n{sale_summary(record)}"),
        ContextBlock(elements=[MarkdownTextObject(text=f"LeadSquared Id: `{escape(record.leadsquared_id)}`")]),
        ActionsBlock(
            block_id="logsale_posted",
            elements=[ButtonElement(action_id=UNDO_ACTION, text="Undo", value=str(record.id))],
        ),
    ]
    # The fallback text is mrkdwn too (notifications, old clients): escape it like the blocks.
    text = (
        f"Sale logged in LeadSquared: {escape(record.product_sku)} ({escape(record.status)}), "
        f"Id {escape(record.leadsquared_id)}"
    )
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def failed_message(record: SaleRecord) -> dict:
    """Only the submitter sees this: what went wrong, in plain words, and a way back."""
    explanation = record.last_error or "Something went wrong."
    blocks = [
        _section(f":warning: *Your sale was not logged in LeadSquared.*\n{escape(explanation)}"),
        _section(sale_summary(record)),
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
    return {"text": f"Your sale was not logged: {escape(explanation)}", "blocks": [b.to_dict() for b in blocks]}


def delayed_message(record: SaleRecord) -> dict:
    reason = record.last_error or "LeadSquared is not answering right now."
    text = (
        f":hourglass_flowing_sand: {escape(reason)} Your sale is saved and queued: "
        "I'll post it to LeadSquared automatically and announce it in this channel. "
        "No need to log it again."
    )
    return {"text": text, "blocks": [_section(text).to_dict(), _section(sale_summary(record)).to_dict()]}


def undone_message(record: SaleRecord, by_user_id: str) -> dict:
    blocks = [
        _section(
            f":leftwards_arrow_with_hook: ~Sale logged in LeadSquared~ — undone by <@{by_user_id}>.\n"
            f"{sale_summary(record)}"
        ),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"LeadSquared Id: `{escape(record.leadsquared_id)}` (cancelled)")]
        ),
    ]
    return {"text": "Sale undone", "blocks": [b.to_dict() for b in blocks]}


def text_message(text: str) -> dict:
    """A one-paragraph message; `text` must already be escaped where it holds user input."""
    return {"text": text, "blocks": [_section(text).to_dict()]}


STATE_LABELS = {
    SaleState.PENDING: "queued",
    SaleState.POSTING: "posting",
    SaleState.DONE: "logged",
    SaleState.FAILED: "failed",
    SaleState.UNKNOWN: "unknown — check LeadSquared",
    SaleState.CANCELLED: "undone",
    SaleState.RESOLVED: "resolved by an admin",
}


def history_message(records: list[SaleRecord]) -> dict:
    if not records:
        return text_message("You haven't logged any sales with /logsale yet.")
    lines = []
    for record in records:
        lines.append(
            f"• {escape(sale_date_for_user(record))} · {escape(lead_description(record))} · "
            f"{escape(record.product_sku)} · {escape(record.status)} · {escape(format_revenue(record.revenue))} · "
            f"_{STATE_LABELS[record.state]}_"
            + (f" · `{escape(record.leadsquared_id)}`" if record.leadsquared_id else "")
        )
    text = f"*Your last {len(records)} sales*\n" + "\n".join(lines)
    return text_message(text)
