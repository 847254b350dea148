"""A signed request whose JSON has the wrong shape is a bad request (400), not a crash (500).

Bolt's middleware, matchers and our listeners index into the payload (view.callback_id,
actions[0], event.get…). Slack never sends these fields with another type, so one that has
one was not built by Slack: bot.web refuses it, after the signature check, before Bolt
reads it.
"""

from __future__ import annotations

from typing import Any

from bot.slack_ui import shapes

_STR = (str,)
_STR_OR_NONE = (str, type(None))
_OBJECT = (dict,)
_OBJECT_STR_OR_NONE = (dict, str, type(None))
# Top-level field -> the types Slack sends it as.
_FIELDS: dict[str, tuple[type, ...]] = {
    "type": _STR,
    "command": _STR,
    "text": _STR_OR_NONE,
    "user_id": _STR,
    "channel_id": _STR_OR_NONE,
    "team_id": _STR_OR_NONE,
    "trigger_id": _STR_OR_NONE,
    "response_url": _STR_OR_NONE,
    "action_id": _STR_OR_NONE,
    "block_id": _STR_OR_NONE,
    "callback_id": _STR_OR_NONE,
    "value": _STR_OR_NONE,
    "user": (dict, str),
    "team": _OBJECT_STR_OR_NONE,
    "enterprise": _OBJECT_STR_OR_NONE,
    "channel": _OBJECT_STR_OR_NONE,
    "container": (dict, type(None)),
    "view": _OBJECT,
    "message": _OBJECT,
    "event": _OBJECT,
    "actions": (list,),
    "authorizations": (list, type(None)),
    "response_urls": (list, type(None)),
}
_NESTED: dict[str, dict[str, tuple[type, ...]]] = {
    "user": {"id": _STR, "team_id": _STR_OR_NONE, "name": _STR_OR_NONE, "username": _STR_OR_NONE},
    "team": {"id": _STR_OR_NONE, "enterprise_id": _STR_OR_NONE},
    "enterprise": {"id": _STR_OR_NONE},
    "channel": {"id": _STR_OR_NONE},
    "view": {
        "id": _STR_OR_NONE,
        "callback_id": _STR_OR_NONE,
        "private_metadata": _STR_OR_NONE,
        "team_id": _STR_OR_NONE,
        "app_installed_team_id": _STR_OR_NONE,
        "state": (dict, type(None)),
        "blocks": (list, type(None)),
    },
    "event": {"type": _STR_OR_NONE, "user": (str, dict, type(None))},
}


def shape_problem(body: Any) -> str | None:
    """What is wrong with the payload's shape, or None."""
    if not isinstance(body, dict):
        return "not a JSON object"
    for name, types in _FIELDS.items():
        if name in body and not isinstance(body[name], types):
            return f"{name} is a {type(body[name]).__name__}"
        inner = _NESTED.get(name)
        if inner and isinstance(body.get(name), dict):
            for key, key_types in inner.items():
                if key in body[name] and not isinstance(body[name][key], key_types):
                    return f"{name}.{key} is a {type(body[name][key]).__name__}"
    kind = body.get("type")
    actions = body.get("actions")
    if isinstance(actions, list) and not all(isinstance(a, dict) for a in actions):
        return "actions holds a non-object"
    if kind in ("block_actions", "interactive_message") and not actions:
        return f"{kind} without actions"
    view = body.get("view")
    if kind in ("view_submission", "view_closed") and not (
        isinstance(view, dict) and isinstance(view.get("type"), str)
    ):
        return "a view payload without a view and its type"
    if (kind == "workflow_step_edit" or (isinstance(view, dict) and view.get("type") == "workflow_step")) and (
        not isinstance(body.get("workflow_step"), dict)
    ):
        return "a workflow step payload without workflow_step"
    event = body.get("event")
    if isinstance(event, dict) and not isinstance(event.get("type"), str):
        return "an event without a type"
    for name in ("authorizations", "response_urls"):
        if isinstance(body.get(name), list) and not all(isinstance(a, dict) for a in body[name]):
            return f"{name} holds a non-object"
    # Bolt's respond() posts to whatever response_url the payload names: only Slack's.
    urls = [body.get("response_url")] + [u.get("response_url") for u in body.get("response_urls") or []]
    if any(url and shapes.response_url(url) is None for url in urls):
        return "a response_url that is not Slack's"
    return None
