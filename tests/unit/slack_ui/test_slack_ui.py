"""The /logsale modal (building it, reading it back) and the bot's messages (escaping, limits)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.delivery.outbox import SaleRecord, SaleState
from bot.domain.model import RawSale
from bot.slack_ui.messages import (
    EDIT_RETRY_ACTION,
    UNDO_ACTION,
    delayed_message,
    escape,
    failed_message,
    history_message,
    posted_message,
    text_message,
    undone_message,
)
from bot.slack_ui.modal import (
    BLOCK_IDS,
    CALLBACK_ID,
    MAX_METADATA,
    ModalContext,
    build_logsale_modal,
    read_raw_sale,
)
from tests import factories

EXPECTED_BLOCK_IDS = ["lead", "product_sku", "status", "revenue", "sales_owner", "sales_date"]
CONTEXT = ModalContext(
    channel_id="C0123CHAN",
    response_url="https://hooks.slack.com/commands/T0001/1234/abcdef",
    tz="Asia/Kolkata",
    locale="en-IN",
)
PREFILL = RawSale(
    lead="priya@acme.in",
    product_sku="SKU-PRO",
    status="won",
    revenue="12,000.50",
    sales_owner="owner@acme.in",
    sales_date="yesterday 5pm",
)


def input_blocks(modal: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in modal["blocks"] if b["type"] == "input"}


def element(modal: dict, block_id: str) -> dict:
    return input_blocks(modal)[block_id]["element"]


# --- build_logsale_modal ---------------------------------------------------------------------


@pytest.mark.parametrize("search_enabled", [False, True])
def test_modal_shape(search_enabled):
    modal = build_logsale_modal(RawSale(), ModalContext(), search_enabled=search_enabled)
    assert modal["type"] == "modal"
    assert modal["callback_id"] == CALLBACK_ID == "logsale"
    assert len(modal["title"]["text"]) <= 24
    assert modal["submit"]["text"] and modal["close"]["text"]
    assert [b["block_id"] for b in modal["blocks"] if b["type"] == "input"] == EXPECTED_BLOCK_IDS
    assert list(BLOCK_IDS) == EXPECTED_BLOCK_IDS
    for block_id, block in input_blocks(modal).items():
        assert block["element"]["action_id"] == block_id
    assert [b.get("block_id") for b in modal["blocks"] if b.get("block_id") in BLOCK_IDS] == EXPECTED_BLOCK_IDS


@pytest.mark.parametrize("search_enabled", [False, True])
def test_the_blocks_generated_from_the_field_table_are_the_contracts_blocks(search_enabled):
    # Written from the contract, not from the field table: block, id, element, action_id,
    # required or not, and the status values, in the order the salesperson fills them in.
    text_or_search = "external_select" if search_enabled else "plain_text_input"
    expected = [
        ("input", "lead", text_or_search, "lead", False),
        ("input", "product_sku", text_or_search, "product_sku", False),
        ("input", "status", "static_select", "status", False),
        ("input", "revenue", "number_input", "revenue", False),
        ("input", "sales_owner", "email_text_input", "sales_owner", False),
        ("input", "sales_date", "plain_text_input", "sales_date", True),
        ("context", None, None, None, False),
    ]
    modal = build_logsale_modal(RawSale(), ModalContext(), search_enabled=search_enabled)
    blocks = modal["blocks"]
    found = [
        (
            b["type"],
            b.get("block_id"),
            b.get("element", {}).get("type"),
            b.get("element", {}).get("action_id"),
            b.get("optional", False),
        )
        for b in blocks
    ]
    assert found == expected
    assert modal["callback_id"] == "logsale"
    assert [o["value"] for o in blocks[2]["element"]["options"]] == ["Open", "Won", "Lost"]
    assert [b["label"]["text"] for b in blocks[:6]] == [
        "Lead (who bought)",
        "Product SKU",
        "Status",
        "Revenue",
        "Sales owner (LeadSquared user email)",
        "Date of sale",
    ]


@pytest.mark.parametrize("search_enabled", [False, True])
def test_element_types(search_enabled):
    modal = build_logsale_modal(RawSale(), ModalContext(), search_enabled=search_enabled)
    status = element(modal, "status")
    assert status["type"] == "static_select"
    assert [o["value"] for o in status["options"]] == ["Open", "Won", "Lost"]
    revenue = element(modal, "revenue")
    assert revenue["type"] == "number_input"
    assert revenue["is_decimal_allowed"] is True
    assert element(modal, "sales_owner")["type"] == "email_text_input"
    assert element(modal, "sales_date")["type"] == "plain_text_input"
    assert input_blocks(modal)["sales_date"].get("optional") is True
    lead_type = "external_select" if search_enabled else "plain_text_input"
    assert element(modal, "lead")["type"] == lead_type
    assert element(modal, "product_sku")["type"] == lead_type


def test_an_empty_prefill_sets_no_initial_values():
    modal = build_logsale_modal(RawSale(), ModalContext(), search_enabled=False)
    for block_id in EXPECTED_BLOCK_IDS:
        el = element(modal, block_id)
        assert "initial_value" not in el and "initial_option" not in el


def test_prefill_appears_in_plain_text_inputs():
    modal = build_logsale_modal(PREFILL, CONTEXT, search_enabled=False)
    assert element(modal, "lead")["initial_value"] == "priya@acme.in"
    assert element(modal, "product_sku")["initial_value"] == "SKU-PRO"
    assert element(modal, "status")["initial_option"]["value"] == "Won"
    assert element(modal, "revenue")["initial_value"] == "12000.50"
    assert element(modal, "sales_owner")["initial_value"] == "owner@acme.in"
    assert element(modal, "sales_date")["initial_value"] == "yesterday 5pm"


def test_prefill_appears_as_initial_options_when_search_is_enabled():
    modal = build_logsale_modal(
        PREFILL, CONTEXT, search_enabled=True, lead_option_label="Priya Shah", product_option_label="Pro plan"
    )
    lead = element(modal, "lead")["initial_option"]
    assert lead["value"] == "priya@acme.in"
    assert lead["text"]["text"] == "Priya Shah"
    product = element(modal, "product_sku")["initial_option"]
    assert product["value"] == "SKU-PRO"
    assert product["text"]["text"] == "Pro plan"
    assert element(modal, "status")["initial_option"]["value"] == "Won"
    assert element(modal, "revenue")["initial_value"] == "12000.50"
    assert element(modal, "sales_owner")["initial_value"] == "owner@acme.in"
    assert element(modal, "sales_date")["initial_value"] == "yesterday 5pm"


def test_search_prefill_without_labels_shows_the_typed_text():
    modal = build_logsale_modal(PREFILL, CONTEXT, search_enabled=True)
    assert element(modal, "lead")["initial_option"]["text"]["text"] == "priya@acme.in"
    assert element(modal, "product_sku")["initial_option"]["text"]["text"] == "SKU-PRO"


@pytest.mark.parametrize("status", ["", "closed", "<!channel>"])
def test_an_unknown_status_or_bad_revenue_is_not_prefilled(status):
    modal = build_logsale_modal(replace(PREFILL, status=status, revenue="abc"), CONTEXT)
    assert "initial_option" not in element(modal, "status")
    assert "initial_value" not in element(modal, "revenue")


@pytest.mark.parametrize("search_enabled", [False, True])
def test_oversized_prefill_still_builds_within_slacks_limits(search_enabled):
    huge = RawSale(
        lead="p" * 5000 + "@acme.in",
        product_sku="S" * 5000,
        status="won" * 100,
        revenue="9" * 5000,
        sales_owner="o" * 5000 + "@acme.in",
        sales_date="y" * 5000,
    )
    modal = build_logsale_modal(huge, CONTEXT, search_enabled=search_enabled, lead_option_label="L" * 500)
    View(**modal).to_dict()  # validates again
    assert len(element(modal, "sales_date")["initial_value"]) <= 100


@pytest.mark.parametrize("search_enabled", [False, True])
def test_modal_blocks_survive_a_slack_sdk_round_trip(search_enabled):
    modal = build_logsale_modal(PREFILL, CONTEXT, search_enabled=search_enabled)
    for block in modal["blocks"]:
        assert Block.parse(block).to_dict() == block


# --- private_metadata / ModalContext -----------------------------------------------------------


def test_private_metadata_round_trips():
    modal = build_logsale_modal(PREFILL, CONTEXT)
    assert ModalContext.decode(modal["private_metadata"]) == CONTEXT


def test_empty_context_round_trips():
    assert ModalContext.decode(ModalContext().encode()) == ModalContext()


def test_a_huge_response_url_is_dropped_to_fit_private_metadata():
    context = replace(CONTEXT, response_url="https://hooks.slack.com/commands/" + "x" * 5000)
    text = context.encode()
    assert len(text) <= MAX_METADATA
    decoded = ModalContext.decode(text)
    assert decoded == replace(CONTEXT, response_url=None)  # the channel fallback still works
    modal = build_logsale_modal(PREFILL, context)
    assert len(modal["private_metadata"]) <= MAX_METADATA


@pytest.mark.parametrize(
    "garbage",
    [None, "", "not json", "{", "[1, 2]", "null", "42", '"text"', "true", "[" * 5000, "{" * 5000, '{"a": ' * 3000],
)
def test_decoding_garbage_gives_an_empty_context(garbage):
    assert ModalContext.decode(garbage) == ModalContext()


def test_decoding_ignores_unknown_keys_and_empty_values():
    text = json.dumps({"channel_id": "C1SALES", "tz": "", "locale": None, "evil": "x"})
    assert ModalContext.decode(text) == ModalContext(channel_id="C1SALES")


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=200))
def test_decode_never_raises(text):
    assert isinstance(ModalContext.decode(text), ModalContext)


# --- read_raw_sale -------------------------------------------------------------------------------


def option(value: str, text: str | None = None) -> dict:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def view_with(values) -> dict:
    return {"id": "V1", "type": "modal", "callback_id": "logsale", "state": {"values": values}}


REALISTIC_VALUES = {
    "lead": {"lead": {"type": "plain_text_input", "value": "priya@acme.in"}},
    "product_sku": {"product_sku": {"type": "plain_text_input", "value": "SKU-PRO"}},
    "status": {"status": {"type": "static_select", "selected_option": option("Won")}},
    "revenue": {"revenue": {"type": "number_input", "value": "12000.5"}},
    "sales_owner": {"sales_owner": {"type": "email_text_input", "value": "owner@acme.in"}},
    "sales_date": {"sales_date": {"type": "plain_text_input", "value": "yesterday 5pm"}},
}


def test_read_raw_sale_on_every_element_type():
    assert read_raw_sale(view_with(REALISTIC_VALUES)) == RawSale(
        lead="priya@acme.in",
        product_sku="SKU-PRO",
        status="Won",
        revenue="12000.5",
        sales_owner="owner@acme.in",
        sales_date="yesterday 5pm",
    )


def test_read_raw_sale_with_external_selects():
    values = {
        **REALISTIC_VALUES,
        "lead": {"lead": {"type": "external_select", "selected_option": option("priya@acme.in", "Priya Shah")}},
        "product_sku": {"product_sku": {"type": "external_select", "selected_option": option("SKU-PRO", "Pro")}},
    }
    raw = read_raw_sale(view_with(values))
    assert raw.lead == "priya@acme.in"  # the option's value, not its label
    assert raw.product_sku == "SKU-PRO"


def test_read_raw_sale_with_nothing_chosen_or_typed():
    values = {
        "lead": {"lead": {"type": "external_select", "selected_option": None}},
        "product_sku": {"product_sku": {"type": "plain_text_input", "value": None}},
        "status": {"status": {"type": "static_select", "selected_option": None}},
        "revenue": {"revenue": {"type": "number_input", "value": None}},
        "sales_owner": {"sales_owner": {"type": "email_text_input"}},
        "sales_date": {"sales_date": {"type": "plain_text_input", "value": None}},
    }
    assert read_raw_sale(view_with(values)) == RawSale()


def test_read_raw_sale_round_trips_a_built_modal_prefill():
    """What build_logsale_modal pre-fills, read back as if submitted untouched."""
    modal = build_logsale_modal(PREFILL, CONTEXT, search_enabled=True)
    values = {}
    for block_id, block in input_blocks(modal).items():
        el = block["element"]
        state = {"type": el["type"]}
        if "initial_option" in el:
            state["selected_option"] = el["initial_option"]
        else:
            state["value"] = el.get("initial_value")
        values[block_id] = {el["action_id"]: state}
    raw = read_raw_sale(view_with(values))
    assert raw == RawSale("priya@acme.in", "SKU-PRO", "Won", "12000.50", "owner@acme.in", "yesterday 5pm")


@pytest.mark.parametrize(
    "view",
    [
        None,
        {},
        [],
        5,
        "view",
        {"state": None},
        {"state": []},
        {"state": 7},
        {"state": {"values": None}},
        {"state": {"values": []}},
        {"state": {"values": "x"}},
        view_with({"lead": None}),
        view_with({"lead": []}),
        view_with({"lead": 5}),
        view_with({"lead": {}}),
        view_with({"lead": {"lead": None}}),
        view_with({"lead": {"lead": [1]}}),
        view_with({"lead": {"lead": {"value": 5}}}),
        view_with({"lead": {"lead": {"value": ["a"]}}}),
        view_with({"status": {"status": {"selected_option": "Won"}}}),
        view_with({"status": {"status": {"selected_option": {"value": None}}}}),
        view_with({"status": {"status": {"selected_option": {"value": 3}}}}),
        view_with({"status": {"status": {"selected_option": []}}}),
    ],
)
def test_read_raw_sale_on_malformed_shapes_gives_empty_strings(view):
    assert read_raw_sale(view) == RawSale()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=10,
)
BLOCK_ID_KEYS = st.sampled_from([*EXPECTED_BLOCK_IDS, "value", "selected_option", "x"])
SHAPED = st.recursive(
    JSON,
    lambda children: st.dictionaries(BLOCK_ID_KEYS, children, max_size=6),
    max_leaves=12,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        JSON,
        SHAPED,
        SHAPED.map(lambda values: {"state": {"values": values}}),
        st.dictionaries(st.sampled_from(EXPECTED_BLOCK_IDS), SHAPED, max_size=6).map(view_with),
        st.dictionaries(
            st.sampled_from(EXPECTED_BLOCK_IDS),
            st.dictionaries(BLOCK_ID_KEYS, st.dictionaries(BLOCK_ID_KEYS, SHAPED, max_size=3), max_size=2),
            max_size=6,
        ).map(view_with),
    )
)
def test_read_raw_sale_never_raises_and_returns_strings(view):
    raw = read_raw_sale(view)
    assert isinstance(raw, RawSale)
    assert all(isinstance(value, str) for value in raw.to_dict().values())


# --- messages -----------------------------------------------------------------------------------

USER_ID = "U0123ABCD"
BAD_BITS = "<!channel> <https://evil|x> <!here> <@U999EVIL> & <#C123|general>"


# Typed on Thu 26 Nov 2026 in India, logged half an hour later: stored as 09:30 UTC.
TYPED = RawSale(
    lead="priya@acme.in",
    product_sku="SKU-PRO",
    status="won",
    revenue="12,000.50",
    sales_owner="owner@acme.in",
    sales_date="26 Nov 2026 3pm",
)
TYPED_AT = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc).timestamp()


def make_record(**changes) -> SaleRecord:
    """Priya's sale, posted; ``changes`` set any stored field as is (what an older or tampered
    row might hold)."""
    record = factories.record(
        42,
        SaleState.DONE,
        raw=TYPED,
        created_at=TYPED_AT,
        prospect_id="0d2c1c9f-5a4b-4c3d-9e8f-1a2b3c4d5e6f",
        lead_label="Priya Shah",
        submission_key="V0123",
        team_id="T0001",
        user_id=USER_ID,
        channel_id="C0123CHAN",
        response_url="https://hooks.slack.com/commands/T0001/1/abc",
        version=3,
        leadsquared_id="a1b2c3d4-0000-1111-2222-333344445555",
    )
    return factories.changed(record, **changes)


def hostile_record(**changes) -> SaleRecord:
    """Every field a user typed, or LeadSquared returned, tries to ping the channel or fake a link
    (but the revenue and the date: the stored sale holds a number and a date, never text)."""
    fields = {
        "lead_text": f"priya@acme.in {BAD_BITS}",
        "lead_label": f"Priya {BAD_BITS}",
        "product_sku": f"SKU {BAD_BITS}",
        "status": BAD_BITS,
        "leadsquared_id": BAD_BITS,
        "last_error": f"LeadSquared said: {BAD_BITS}",
        "user_name": BAD_BITS,
        "sales_owner_email": BAD_BITS,
    }
    return make_record(**{**fields, **changes})


def all_messages(record: SaleRecord) -> dict[str, dict]:
    return {
        "posted": posted_message(record),
        "failed": failed_message(replace(record, state=SaleState.FAILED)),
        "failed_unknown": failed_message(replace(record, state=SaleState.UNKNOWN)),
        "delayed": delayed_message(replace(record, state=SaleState.PENDING)),
        "history": history_message([record, replace(record, id=43, state=SaleState.FAILED, leadsquared_id=None)]),
        "undone": undone_message(replace(record, state=SaleState.CANCELLED), USER_ID),
    }


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<https://evil|bank>", "&lt;https://evil|bank&gt;"),
        ("&", "&amp;"),
        ("&lt;", "&amp;lt;"),
        ("a < b > c & d", "a &lt; b &gt; c &amp; d"),
        ("plain *bold* _it_", "plain *bold* _it_"),
        (12000, "12000"),
        ("", ""),
    ],
)
def test_escape(text, escaped):
    assert escape(text) == escaped


def text_objects(message: dict) -> list[dict]:
    """Every text object in the blocks, plus the fallback text (which Slack reads as mrkdwn)."""
    found = [{"type": "mrkdwn", "text": message["text"]}]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message["blocks"])
    return found


@pytest.mark.parametrize("name", ["posted", "failed", "failed_unknown", "delayed", "history", "undone"])
def test_user_text_cannot_mention_or_link(name):
    message = all_messages(hostile_record())[name]
    mrkdwn = " ".join(t["text"] for t in text_objects(message) if t["type"] == "mrkdwn")
    # The only markup left in mrkdwn is the bot's own mention of people.
    without_own_mention = mrkdwn.replace(f"<@{USER_ID}>", "")
    assert "<" not in without_own_mention and ">" not in without_own_mention
    assert "!channel" not in mrkdwn and "evil" not in mrkdwn
    # …and the hostile text is still there, shown literally in plain_text with emoji off.
    plain = [t for t in text_objects(message) if t["type"] == "plain_text" and BAD_BITS in t["text"]]
    assert plain and all(t.get("emoji") is False for t in plain)


def test_the_bot_mentions_the_submitter_in_the_announcement():
    message = posted_message(hostile_record())
    mrkdwn = json.dumps([t for t in text_objects(message) if t["type"] == "mrkdwn"])
    assert f"<@{USER_ID}>" in mrkdwn
    assert len(re.findall(r"<@", mrkdwn)) == 2  # the section and the fallback text


@pytest.mark.parametrize("record_kind", ["normal", "hostile", "huge"])
def test_every_message_survives_a_slack_sdk_round_trip(record_kind):
    if record_kind == "normal":
        record = make_record()
    elif record_kind == "hostile":
        record = hostile_record()
    else:
        big = "&<>" * 3000 + "x" * 5000
        record = make_record(lead_label=big, product_sku=big, last_error=big, lead_text=big, leadsquared_id="L" * 64)
    messages = {
        **all_messages(record),
        "history_many": history_message([replace(record, id=i) for i in range(50)]),
        "history_empty": history_message([]),
        "text": text_message("Hello &lt;world&gt;"),
    }
    for name, message in messages.items():
        assert isinstance(message["text"], str) and message["text"], name
        for block in message["blocks"]:
            rebuilt = Block.parse(block)
            assert rebuilt is not None, name
            assert rebuilt.to_dict() == block, name


def test_the_section_text_is_cut_to_slacks_limit():
    big = "x" * 10_000
    message = failed_message(make_record(state=SaleState.FAILED, last_error=big))
    sections = [b for b in message["blocks"] if b["type"] == "section" and "text" in b]
    assert any(b["text"]["text"].startswith("xxx") for b in sections)
    for block in sections:
        assert len(block["text"]["text"]) <= 3000


def action_elements(message: dict) -> list[dict]:
    return [el for b in message["blocks"] if b["type"] == "actions" for el in b["elements"]]


@pytest.mark.parametrize("state", list(SaleState))
def test_edit_and_retry_is_offered_only_for_failed_sales(state):
    record = make_record(state=state, last_error="LeadSquared has no product SKU-PRO.")
    buttons = action_elements(failed_message(record))
    if state is SaleState.FAILED:
        assert len(buttons) == 1
        assert buttons[0]["action_id"] == EDIT_RETRY_ACTION
        assert buttons[0]["text"]["text"] == "Edit & retry"
        assert buttons[0]["value"] == "42"
    else:
        assert buttons == []


def test_failed_message_explains_and_summarises():
    message = failed_message(make_record(state=SaleState.FAILED, last_error="No lead has email priya@acme.in."))
    dumped = json.dumps(message)
    assert "not logged" in dumped
    assert "No lead has email priya@acme.in." in dumped
    assert "SKU-PRO" in dumped


def test_posted_message_has_an_undo_button_carrying_the_record_id():
    record = make_record(id=9876)
    message = posted_message(record)
    buttons = action_elements(message)
    assert len(buttons) == 1
    assert buttons[0]["action_id"] == UNDO_ACTION
    assert buttons[0]["value"] == "9876"
    dumped = json.dumps(message)
    assert "a1b2c3d4-0000-1111-2222-333344445555" in dumped
    assert "Priya Shah (priya@acme.in)" in dumped
    assert "12,000.50" in dumped
    assert "Thu 26 Nov 2026, 15:00 IST" in dumped  # 09:30 UTC shown in the user's zone


def test_messages_without_buttons():
    for message in (delayed_message(make_record()), undone_message(make_record(), USER_ID), history_message([])):
        assert action_elements(message) == []


def test_history_lists_each_sale_with_its_state():
    records = [
        make_record(id=1, state=SaleState.DONE),
        make_record(id=2, state=SaleState.FAILED, leadsquared_id=None),
        make_record(id=3, state=SaleState.PENDING, leadsquared_id=None),
    ]
    message = history_message(records)
    assert message["text"] == "Your last 3 sales"
    lines = [b["text"]["text"] for b in message["blocks"][1:]]
    assert len(lines) == 3
    assert lines[0].endswith(" · logged · Id a1b2c3d4-0000-1111-2222-333344445555")
    assert lines[1].endswith(" · failed") and lines[2].endswith(" · queued")
    assert all(
        line.startswith("Thu 26 Nov 2026, 15:00 IST (UTC+05:30) · Priya Shah (priya@acme.in) · SKU-PRO · Won")
        for line in lines
    )
