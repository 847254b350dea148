"""Build requests exactly as Slack sends them to the app's Request URL, and sign them.

Shapes follow Slack's interaction-payload reference and the payloads in slack-bolt's own
scenario tests: slash commands are form-encoded fields; interactivity is a form body with one
``payload=<url-encoded JSON>`` field; every request carries ``X-Slack-Request-Timestamp`` and
``X-Slack-Signature: v0=hex(HMAC_SHA256(secret, "v0:{ts}:{body}"))``.

State-value helpers (``plain_text_state`` …) build the per-element entries Slack puts in
``view.state.values[block_id][action_id]``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests

TEAM_ID = "T0TEST"
TEAM_DOMAIN = "acme"
API_APP_ID = "A0LOGSALE"
BOT_ID = "B0BOT0001"
VERIFICATION_TOKEN = "Xq9vErIfIcAtIoNtOkEn0001"  # the deprecated verification token Slack still sends


# --------------------------------------------------------------------------- signing
def sign(signing_secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack adds: X-Slack-Request-Timestamp and X-Slack-Signature (callers set Content-Type)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def post_signed(
    url: str,
    body: str,
    signing_secret: str,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    timestamp: int | None = None,
    timeout: float = 10,
) -> requests.Response:
    """POST ``body`` to ``url`` signed like Slack (User-Agent as Slack's)."""
    headers = slack_headers(signing_secret, body, content_type=content_type, timestamp=timestamp)
    return requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=timeout)


def slack_headers(
    signing_secret: str,
    body: str,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers Slack sends with a request: its signature, Content-Type and User-Agent."""
    return {
        **sign(signing_secret, body, timestamp),
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Accept": "application/json,*/*",
    }


def form_body_for_payload(payload: dict[str, Any]) -> str:
    """``payload=<url-encoded compact JSON>`` as Slack sends interactivity requests."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


# --------------------------------------------------------------------------- slash commands
def slash_command_body(
    *,
    command: str = "/logsale",
    text: str = "",
    user_id: str = "U123",
    user_name: str = "priya",
    channel_id: str = "C123",
    channel_name: str = "sales",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    trigger_id: str,
    response_url: str,
    api_app_id: str = API_APP_ID,
    is_enterprise_install: bool = False,
) -> str:
    """The form body of a slash command, fields in the order Slack sends them.

    ``channel_name`` is ``"directmessage"`` for DMs and ``"privategroup"`` for private channels
    the app can't see, as Slack sends it.
    """
    fields = [
        ("token", VERIFICATION_TOKEN),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "true" if is_enterprise_install else "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ]
    return urlencode(fields)


# --------------------------------------------------------------------------- common pieces
def _team(team_id: str) -> dict[str, Any]:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _default_trigger() -> str:
    return f"{secrets.randbelow(10**12):012d}.{secrets.randbelow(10**11):011d}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


# Element type -> how Slack renders it back in view.blocks, for synthesising input blocks.
_SELECT_TYPES = {"static_select", "external_select", "multi_static_select", "multi_external_select"}


def _blocks_for_state(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Input blocks matching a state.values dict (what the view that produced it looked like)."""
    blocks: list[dict[str, Any]] = []
    for block_id, actions in values.items():
        for action_id, state in actions.items():
            etype = state.get("type", "plain_text_input")
            element: dict[str, Any] = {"type": etype, "action_id": action_id}
            if etype == "number_input":
                element["is_decimal_allowed"] = True
            if etype in ("static_select", "multi_static_select"):
                chosen = state.get("selected_options") or (
                    [state["selected_option"]] if state.get("selected_option") else []
                )
                element["options"] = chosen or [{"text": _plain("-"), "value": "-"}]
            if etype in ("external_select", "multi_external_select"):
                element["min_query_length"] = 3
            if etype in _SELECT_TYPES:
                element["placeholder"] = _plain("Select")
            blocks.append(
                {
                    "type": "input",
                    "block_id": block_id,
                    "label": _plain(block_id.replace("_", " ").title()),
                    "optional": False,
                    "dispatch_action": False,
                    "element": element,
                }
            )
    return blocks


def _view(
    *,
    view_id: str,
    team_id: str,
    callback_id: str,
    private_metadata: str,
    state_values: dict[str, Any],
    blocks: list[dict[str, Any]] | None,
    hash: str,  # noqa: A002 - Slack's field name
    title: str,
    root_view_id: str | None,
    previous_view_id: str | None,
    external_id: str,
) -> dict[str, Any]:
    return {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": blocks if blocks is not None else _blocks_for_state(state_values),
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": state_values},
        "hash": hash,
        "title": _plain(title),
        "clear_on_close": False,
        "notify_on_close": False,
        "close": _plain("Cancel"),
        "submit": _plain("Submit"),
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": API_APP_ID,
        "external_id": external_id,
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }


# --------------------------------------------------------------------------- interactivity
def view_submission_payload(
    *,
    values: dict[str, Any],
    callback_id: str = "logsale",
    view_id: str = "V123",
    private_metadata: str = "",
    user_id: str = "U123",
    user_name: str = "priya",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    hash: str = "1712345678.AbCd1234",  # noqa: A002 - Slack's field name
    blocks: list[dict[str, Any]] | None = None,
    title: str = "Log a sale",
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
    external_id: str = "",
    response_urls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A view_submission payload. ``values`` is ``view.state.values``:
    ``{block_id: {action_id: {"type": "plain_text_input", "value": "…"}}}`` (see the *_state helpers).
    ``blocks`` defaults to input blocks matching ``values``.
    """
    return {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _default_trigger(),
        "view": _view(
            view_id=view_id,
            team_id=team_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            state_values=values,
            blocks=blocks,
            hash=hash,
            title=title,
            root_view_id=root_view_id,
            previous_view_id=previous_view_id,
            external_id=external_id,
        ),
        "response_urls": response_urls if response_urls is not None else [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_actions_payload(
    *,
    action_id: str,
    value: str | None,
    block_id: str = "logsale_actions",
    user_id: str = "U123",
    user_name: str = "priya",
    channel_id: str = "C123",
    channel_name: str = "sales",
    team_id: str = TEAM_ID,
    trigger_id: str,
    response_url: str | None,
    message: dict[str, Any] | None = None,
    message_ts: str | None = None,
    is_ephemeral: bool = False,
    action: dict[str, Any] | None = None,
    button_text: str = "Retry",
) -> dict[str, Any]:
    """A block_actions payload for a button in a message (the default) posted by the app.

    ``message`` is the message the button is in (default: a bot message with that button).
    For an ephemeral message Slack sends ``container.is_ephemeral: true`` and no ``message``.
    ``action`` overrides/extends the action object (e.g. a static_select's ``selected_option``).
    """
    ts = message_ts or (message or {}).get("ts") or f"{int(time.time())}.000100"
    act: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "text": _plain(button_text),
        "value": value,
        "type": "button",
        "action_ts": _action_ts(),
    }
    if action:
        act.update(action)
    if value is None:
        act.pop("value")
    if message is None and not is_ephemeral:
        message = {
            "user": "U0BOT0001",
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": API_APP_ID,
            "text": "LogSale",
            "team": team_id,
            "blocks": [
                {
                    "type": "actions",
                    "block_id": block_id,
                    "elements": [
                        {
                            "type": "button",
                            "action_id": action_id,
                            "text": _plain(button_text),
                            **({"value": value} if value is not None else {}),
                        }
                    ],
                }
            ],
        }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [act],
    }
    if message is not None:
        payload["message"] = message
    if response_url is None:
        payload.pop("response_url")
    return payload


def block_suggestion_payload(
    *,
    action_id: str,
    block_id: str,
    value: str,
    user_id: str = "U123",
    user_name: str = "priya",
    view_id: str = "V123",
    callback_id: str = "logsale",
    team_id: str = TEAM_ID,
    private_metadata: str = "",
    blocks: list[dict[str, Any]] | None = None,
    state_values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A block_suggestion payload (external_select in a modal; ``value`` is what the user typed)."""
    if blocks is None:
        blocks = [
            {
                "type": "input",
                "block_id": block_id,
                "label": _plain(block_id.replace("_", " ").title()),
                "optional": False,
                "dispatch_action": False,
                "element": {
                    "type": "external_select",
                    "action_id": action_id,
                    "placeholder": _plain("Search"),
                    "min_query_length": 3,
                },
            }
        ]
    return {
        "type": "block_suggestion",
        "user": _user(user_id, user_name, team_id),
        "container": {"type": "view", "view_id": view_id},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": _view(
            view_id=view_id,
            team_id=team_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            state_values=state_values or {},
            blocks=blocks,
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            title="Log a sale",
            root_view_id=None,
            previous_view_id=None,
            external_id="",
        ),
    }


# --------------------------------------------------------------------------- state values
def plain_text_state(value: str | None) -> dict[str, Any]:
    """plain_text_input; Slack sends ``"value": null`` for an empty optional field."""
    return {"type": "plain_text_input", "value": value}


def number_state(value: str | None) -> dict[str, Any]:
    """number_input: the value is a *string* (e.g. ``"1250.50"``)."""
    return {"type": "number_input", "value": value}


def email_state(value: str | None) -> dict[str, Any]:
    return {"type": "email_text_input", "value": value}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def static_select_state(value: str | None, text: str | None = None) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": option(text or value, value) if value is not None else None,
    }


def external_select_state(value: str | None, text: str | None = None) -> dict[str, Any]:
    return {
        "type": "external_select",
        "selected_option": option(text or value, value) if value is not None else None,
    }


def datepicker_state(date: str | None) -> dict[str, Any]:
    """``date`` is ``YYYY-MM-DD`` (no timezone: it is the user's calendar date)."""
    return {"type": "datepicker", "selected_date": date}


def datetimepicker_state(epoch_seconds: int | None) -> dict[str, Any]:
    """datetimepicker: ``selected_date_time`` is an int of UNIX seconds."""
    return {"type": "datetimepicker", "selected_date_time": epoch_seconds}


# --------------------------------------------------------------------------- events and shortcuts
def event_callback_body(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> str:
    """The JSON body of an Events API delivery (``Content-Type: application/json``), shaped as
    in Slack's Events API docs (api.slack.com/apis/events-api, "Callback field overview")."""
    now = int(time.time())
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": event_time or now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "U0BOT0001",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(body, separators=(",", ":"))


def app_home_opened_event(user_id: str, *, tab: str = "home", channel: str = "D0LAN2Q65", view_id: str | None = None):
    """app_home_opened as in Slack's published example (api.slack.com/events/app_home_opened):
    ``{"type": "app_home_opened", "user": "U061F7AUR", "channel": "D0LAN2Q65",
    "event_ts": "1515449522000016", "tab": "home", "view": {...}}``; ``view`` (the tab's current
    view) only when one was published before, and only for the Home tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel,
        "event_ts": f"{time.time():.6f}",
        "tab": tab,
    }
    if view_id and tab == "home":
        event["view"] = {"id": view_id, "team_id": TEAM_ID, "type": "home", "blocks": [], "private_metadata": ""}
    return event


def global_shortcut_payload(
    *, callback_id: str, user_id: str = "U123", user_name: str = "priya", team_id: str = TEAM_ID, trigger_id: str
) -> dict[str, Any]:
    """A global shortcut, shaped as in slack-bolt's tests/scenario_tests/test_shortcut.py
    (``"type": "shortcut"``; no channel, no message, no response_url)."""
    return {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_name, "team_id": team_id},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }


def message_shortcut_payload(
    *,
    callback_id: str,
    text: str,
    message_ts: str,
    thread_ts: str | None = None,
    author_id: str = "U0AUTHOR",
    user_id: str = "U123",
    user_name: str = "priya",
    channel_id: str = "C123",
    channel_name: str = "sales",
    team_id: str = TEAM_ID,
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    """A message shortcut (``"type": "message_action"``), shaped as in slack-bolt's
    tests/scenario_tests/test_app_using_methods_in_class.py, plus the ``response_url`` Slack's
    shortcuts docs say it carries. ``thread_ts`` is on the message when it is a reply in a thread."""
    message: dict[str, Any] = {
        "client_msg_id": secrets.token_hex(8),
        "type": "message",
        "text": text,
        "user": author_id,
        "ts": message_ts,
        "team": team_id,
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "name": user_name},
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message_ts,
        "message": message,
    }


def home_block_actions_payload(
    *,
    action_id: str,
    value: str | None,
    view: dict[str, Any],
    block_id: str = "home_block",
    user_id: str = "U123",
    user_name: str = "priya",
    team_id: str = TEAM_ID,
    trigger_id: str,
) -> dict[str, Any]:
    """A button pressed on the App Home tab: block_actions with ``container.type == "view"``,
    the Home view, and no channel, message or response_url (Slack's block_actions payload reference)."""
    act: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "text": _plain("button"),
        "type": "button",
        "action_ts": _action_ts(),
    }
    if value is not None:
        act["value"] = value
    return {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view.get("id")},
        "trigger_id": trigger_id,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [act],
    }
