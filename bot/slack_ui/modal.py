"""The /logsale modal: building it, and reading a submission back.

Block ids are a contract (tests and other tools rely on them): lead, product_sku,
status, revenue, sales_owner, sales_date; callback_id "logsale". Each element's
action_id equals its block_id.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from slack_sdk.models.blocks import (
    ContextBlock,
    EmailInputElement,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.model import STATUSES, RawSale
from bot.domain.validation import parse_revenue

CALLBACK_ID = "logsale"
BLOCK_IDS = ("lead", "product_sku", "status", "revenue", "sales_owner", "sales_date")
MAX_METADATA = 3000


@dataclass(frozen=True)
class ModalContext:
    """Where to answer and how to read dates; rides in private_metadata because a
    view_submission carries no channel and no response_url."""

    channel_id: str | None = None
    response_url: str | None = None
    tz: str | None = None
    locale: str | None = None
    # The message a sale was logged from (message shortcut): its confirmation replies in that thread.
    thread_ts: str | None = None

    def encode(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v}
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > MAX_METADATA:  # never in practice; the channel fallback still works
            data.pop("response_url", None)
            text = json.dumps(data, separators=(",", ":"))
        return text

    @classmethod
    def decode(cls, text: str | None) -> ModalContext:
        try:
            data = json.loads(text or "{}")
        except (ValueError, TypeError, RecursionError):  # RecursionError: "[[[[…" nested too deep
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            **{k: str(data[k]) for k in ("channel_id", "response_url", "tz", "locale", "thread_ts") if data.get(k)}
        )


def build_logsale_modal(
    prefill: RawSale,
    context: ModalContext,
    *,
    lead_option_label: str | None = None,
    product_option_label: str | None = None,
    search_enabled: bool = False,
) -> dict:
    """The modal as a views.open/views.update payload. to_dict() enforces Slack's limits."""
    blocks = [
        InputBlock(
            block_id="lead",
            label="Lead (who bought)",
            element=_lead_element(prefill.lead, lead_option_label, search_enabled),
            hint="Search by name, email or phone — or paste the LeadSquared ProspectId.",
        ),
        InputBlock(
            block_id="product_sku",
            label="Product SKU",
            element=_product_element(prefill.product_sku, product_option_label, search_enabled),
        ),
        InputBlock(
            block_id="status",
            label="Status",
            element=StaticSelectElement(
                action_id="status",
                placeholder="Open, Won or Lost",
                options=[Option(text=s, value=s) for s in STATUSES],
                initial_option=_status_option(prefill.status),
            ),
        ),
        InputBlock(
            block_id="revenue",
            label="Revenue",
            element=NumberInputElement(
                action_id="revenue",
                is_decimal_allowed=True,
                min_value="0",
                initial_value=_revenue_initial(prefill.revenue),
                placeholder="e.g. 12000 or 12000.50",
            ),
        ),
        InputBlock(
            block_id="sales_owner",
            label="Sales owner (LeadSquared user email)",
            element=EmailInputElement(
                action_id="sales_owner",
                initial_value=prefill.sales_owner.strip()[:254] or None,
                placeholder="you@company.com",
            ),
        ),
        InputBlock(
            block_id="sales_date",
            label="Date of sale",
            optional=True,
            element=PlainTextInputElement(
                action_id="sales_date",
                initial_value=prefill.sales_date[:100] or None,
                placeholder="empty = now · yesterday 5pm · 26/11/2026 15:00 IST",
                max_length=100,
            ),
            hint=f"Read in your Slack time zone ({context.tz or 'UTC'}) unless you add one, like IST or +05:30.",
        ),
        ContextBlock(elements=[MarkdownTextObject(text="Nothing is sent to LeadSquared until you press *Log sale*.")]),
    ]
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Log a sale",
        submit="Log sale",
        close="Cancel",
        private_metadata=context.encode(),
        blocks=blocks,
    )
    return view.to_dict()


def _lead_element(text: str, label: str | None, search_enabled: bool):
    text = text.strip()
    if not search_enabled:
        return PlainTextInputElement(
            action_id="lead", initial_value=text[:200] or None, placeholder="priya@acme.in, +91 98765 43210"
        )
    initial = Option(text=(label or text)[:75], value=text[:150]) if text else None
    return ExternalDataSelectElement(
        action_id="lead",
        placeholder="Type a name, email or phone",
        min_query_length=2,
        initial_option=initial,
    )


def _product_element(sku: str, label: str | None, search_enabled: bool):
    sku = sku.strip()
    if not search_enabled:
        return PlainTextInputElement(action_id="product_sku", initial_value=sku[:100] or None, placeholder="SKU-PRO")
    initial = Option(text=(label or sku)[:75], value=sku[:150]) if sku else None
    return ExternalDataSelectElement(
        action_id="product_sku",
        placeholder="Type a SKU or product name",
        min_query_length=1,
        initial_option=initial,
    )


def _status_option(status: str) -> Option | None:
    match = next((s for s in STATUSES if s.lower() == status.strip().lower()), None)
    return Option(text=match, value=match) if match else None


def _revenue_initial(revenue: str) -> str | None:
    value = parse_revenue(revenue) if revenue else None
    return format(value, "f") if value is not None else None


def read_raw_sale(view: dict) -> RawSale:
    """What the user typed, from view.state.values, as plain strings.

    Read as plain dicts: slack_sdk's ViewState model can't parse every element type.
    Anything missing or oddly shaped reads as "" and the validator explains it.
    """
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        values = {}
    fields = {}
    for block_id in BLOCK_IDS:
        fields[block_id] = _element_value(values.get(block_id))
    return RawSale(**fields)


def _element_value(block) -> str:
    if not isinstance(block, dict) or not block:
        return ""
    element = next(iter(block.values()))
    if not isinstance(element, dict):
        return ""
    option = element.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else element.get("value")
    return value if isinstance(value, str) else ""
