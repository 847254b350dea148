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

from bot.domain.model import STATUSES, STATUSES_IN_WORDS, RawSale, canonical_status
from bot.domain.validation import parse_revenue
from bot.slack_limits import MAX_METADATA
from bot.slack_ui import shapes

CALLBACK_ID = "logsale"
BLOCK_IDS = ("lead", "product_sku", "status", "revenue", "sales_owner", "sales_date")
# Slack caps an option's text at 75 characters; anything longer did not come from Slack.
MAX_LABEL = 200


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
        # Ours, but it came back through the client: each value is used only if it has the
        # shape we wrote (a response_url on Slack's hosts, a channel id, an IANA zone…).
        return cls(
            channel_id=shapes.channel_id(data.get("channel_id")),
            response_url=shapes.response_url(data.get("response_url")),
            tz=shapes.sane_tz(data.get("tz")),
            locale=shapes.sane_locale(data.get("locale")),
            thread_ts=shapes.message_ts(data.get("thread_ts")),
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
            element=_lead_element(prefill.lead, prefill.lead_label or lead_option_label, search_enabled),
            hint="Search by name, email or phone — or paste the LeadSquared ProspectId.",
        ),
        InputBlock(
            block_id="product_sku",
            label="Product SKU",
            element=_product_element(
                prefill.product_sku, prefill.product_label or product_option_label, search_enabled
            ),
        ),
        InputBlock(
            block_id="status",
            label="Status",
            element=StaticSelectElement(
                action_id="status",
                placeholder=STATUSES_IN_WORDS,
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
                placeholder="empty = now · yesterday 3.30pm · 2 hours ago · this morning · 26 Nov 15:30",
                max_length=100,
            ),
            hint=f"Read in your Slack time zone ({context.tz or 'UTC'}) unless you add one: +05:30, EST… "
            "(IST, CST, PST mean what they mean in your zone, else give the offset). "
            "This morning = 09:00, afternoon 14:00, evening 18:00, tonight 20:00.",
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
    match = canonical_status(status)
    return Option(text=match, value=match) if match else None


def _revenue_initial(revenue: str) -> str | None:
    value = parse_revenue(revenue) if revenue else None
    return format(value, "f") if value is not None else None


def read_raw_sale(view: dict) -> RawSale:
    """What the user typed, from view.state.values, as plain strings.

    Read as plain dicts: slack_sdk's ViewState model can't parse every element type.
    Anything missing or oddly shaped reads as "" and the validator explains it. For the
    search fields, the picked option's text ("Priya Shah · priya@…") is kept too, so the
    channel is told who, not a bare ProspectId.
    """
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        values = {}
    fields = {}
    for block_id in BLOCK_IDS:
        fields[block_id] = _element_value(values.get(block_id))
    fields["lead_label"] = _picked_label(values.get("lead"), fields["lead"])
    fields["product_label"] = _picked_label(values.get("product_sku"), fields["product_sku"])
    return RawSale(**fields)


def _element(block) -> dict | None:
    if not isinstance(block, dict) or not block:
        return None
    element = next(iter(block.values()))
    return element if isinstance(element, dict) else None


def _element_value(block) -> str:
    element = _element(block)
    if element is None:
        return ""
    option = element.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else element.get("value")
    return value if isinstance(value, str) else ""


def _picked_label(block, value: str) -> str:
    """The picked option's text; "" when there is none, or it only repeats the value."""
    element = _element(block)
    option = element.get("selected_option") if element is not None else None
    text = option.get("text") if isinstance(option, dict) else None
    label = text.get("text") if isinstance(text, dict) else None
    if not isinstance(label, str) or not value:
        return ""
    label = label.strip()[:MAX_LABEL]
    return "" if label == value.strip() else label
