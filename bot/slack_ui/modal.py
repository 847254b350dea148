"""The /logsale modal: building it, and reading a submission back.

Both come from the field table on ``RawSale`` (``bot.domain.model.FORM_FIELDS``): one input block
per field, in its order, its element chosen by the field's kind of entry. Block ids are a contract
(tests and other tools rely on them): lead, product_sku, status, revenue, sales_owner, sales_date;
callback_id "logsale". Each element's action_id equals its block_id.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import asdict, dataclass

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
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

from bot.domain.model import FORM_FIELDS, Entry, FormField, RawSale
from bot.domain.validation import parse_revenue
from bot.slack_limits import MAX_METADATA
from bot.slack_ui import shapes

CALLBACK_ID = "logsale"
BLOCK_IDS = tuple(form.name for form in FORM_FIELDS)
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
    """The modal as a views.open/views.update payload, one input block per field of ``RawSale``
    (``FORM_FIELDS``). to_dict() enforces Slack's limits."""
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Log a sale",
        submit="Log sale",
        close="Cancel",
        private_metadata=context.encode(),
        blocks=[DividerBlock()],  # a view needs one to pass to_dict(); replaced just below
    ).to_dict()
    # A copy: the cached blocks are shared by every modal built from the same inputs.
    view["blocks"] = copy.deepcopy(
        _blocks(prefill, context.tz, lead_option_label, product_option_label, search_enabled)
    )
    return view


# Checking every element against Slack's limits (to_dict) was the larger part of a /logsale's
# own CPU (profile_ack); the blocks depend on these inputs alone (not on the channel or the
# response_url), and most forms open empty in one of a few time zones.
@functools.lru_cache(maxsize=64)
def _blocks(
    prefill: RawSale,
    tz: str | None,
    lead_option_label: str | None,
    product_option_label: str | None,
    search_enabled: bool,
) -> list[dict]:
    option_labels = {"lead_label": lead_option_label, "product_label": product_option_label}
    blocks: list = []
    for form in FORM_FIELDS:
        value = getattr(prefill, form.name)
        picked = (
            (getattr(prefill, form.picked_label) or option_labels.get(form.picked_label)) if form.picked_label else None
        )
        blocks.append(
            InputBlock(
                block_id=form.name,
                label=form.label,
                optional=form.optional or None,
                element=_element_for(form, value, picked, search_enabled),
                hint=form.hint.format(tz=tz or "UTC") if form.hint else None,
            )
        )
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Nothing is sent to LeadSquared until you press *Log sale*.")])
    )
    # View.to_dict() would check the block count; there are len(FORM_FIELDS) + 1, far under 100.
    return [block.to_dict() for block in blocks]


def _element_for(form: FormField, value: str, picked: str | None, search_enabled: bool):
    """The Block Kit element for one field, pre-filled with ``value`` (when it is one it takes)."""
    if form.entry is Entry.SEARCH:
        text = value.strip()
        if not search_enabled:
            return PlainTextInputElement(
                action_id=form.name, initial_value=text[: form.longest] or None, placeholder=form.placeholder
            )
        initial = Option(text=(picked or text)[:75], value=text[:150]) if text else None
        return ExternalDataSelectElement(
            action_id=form.name,
            placeholder=form.search_placeholder,
            min_query_length=form.shortest_search,
            initial_option=initial,
        )
    if form.entry is Entry.CHOICE:
        wanted = value.strip().lower()  # "won " prefills Won
        match = next((choice for choice in form.choices if choice.lower() == wanted), None)
        return StaticSelectElement(
            action_id=form.name,
            placeholder=form.placeholder,
            options=[Option(text=choice, value=choice) for choice in form.choices],
            initial_option=Option(text=match, value=match) if match else None,
        )
    if form.entry is Entry.DECIMAL:
        number = parse_revenue(value) if value else None
        return NumberInputElement(
            action_id=form.name,
            is_decimal_allowed=True,
            min_value="0",
            initial_value=format(number, "f") if number is not None else None,
            placeholder=form.placeholder,
        )
    if form.entry is Entry.EMAIL:
        return EmailInputElement(
            action_id=form.name, initial_value=value.strip()[: form.longest] or None, placeholder=form.placeholder
        )
    return PlainTextInputElement(
        action_id=form.name,
        initial_value=value[: form.longest] or None,
        placeholder=form.placeholder,
        max_length=form.longest,
    )


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
    typed = {}
    for form in FORM_FIELDS:
        typed[form.name] = _element_value(values.get(form.name))
        if form.picked_label:
            typed[form.picked_label] = _picked_label(values.get(form.name), typed[form.name])
    return RawSale(**typed)


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
