"""Who may use LogSale: decided once, here, for every kind of request.

LOGSALE_ALLOWED_USERS limits who may log. The check is a Bolt global middleware, so it
holds on every path — the slash command, a view submitted directly, lead search (which
shows names, emails and phones), Edit & retry — and on paths added later (App Home,
shortcuts) without anyone remembering to call it. Each kind of request is refused the
way Slack can show: the command gets a polite ephemeral text, a view submission an error
on its first input, an options request no options, a click an ephemeral note; events are
acknowledged and ignored.

The decision comes from the user id when it can (an id entry, or a list without emails);
an email entry needs users.info, which is I/O inside Slack's 3 s: bounded, cached, and
refused with "try again" when Slack is too slow to tell (never let in unchecked).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.webhook import WebhookClient

from bot.slack_ui import shapes
from bot.slack_ui.users import ACK_PATH_WAIT, SlackUser, UserDirectory

log = logging.getLogger(__name__)

NOT_ALLOWED = (
    "Sorry, you're not on the list of people who can log sales with /logsale. "
    "Ask your Slack admin to add you to LOGSALE_ALLOWED_USERS."
)
COULD_NOT_CHECK = (
    "I couldn't check whether you may use /logsale just now (Slack was slow to answer). Please try again in a moment."
)


class AccessPolicy:
    """LOGSALE_ALLOWED_USERS and LOGSALE_ADMINS: Slack user ids or emails (normalised by config)."""

    def __init__(self, allowed: frozenset[str], admins: frozenset[str], users: UserDirectory):
        self.allowed = allowed
        self.admins = admins
        self.users = users
        self._has_emails = any("@" in name for name in allowed)

    @property
    def everyone(self) -> bool:
        return not self.allowed

    def decide_by_id(self, user_id: str | None) -> bool | None:
        """True/False when the id alone decides; None when only an email entry could match."""
        if not self.allowed:
            return True
        if not user_id:
            return False
        if user_id.upper() in self.allowed:
            return True
        return None if self._has_emails else False

    def is_allowed(self, user_id: str | None, *, wait: float = ACK_PATH_WAIT) -> bool | None:
        """True/False; None when users.info didn't answer within ``wait`` (can't tell yet)."""
        decided = self.decide_by_id(user_id)
        if decided is not None:
            return decided
        user = self.users.get(user_id, wait=wait)
        if not user.email:
            # No email: either Slack was slow (the answer will be cached) or the profile has
            # none (no users:read.email scope) — then no email entry can ever match.
            return None if self.users.cached(user_id) is None else False
        return user.email.lower() in self.allowed

    def is_admin(self, user: SlackUser) -> bool:
        if user.user_id.upper() in self.admins:
            return True
        return bool(user.email) and user.email.lower() in self.admins


def user_id_of(body: Any) -> str | None:
    """The acting user's id from any payload shape: slash commands (user_id), interactivity
    (user.id, also on Enterprise Grid org installs where team is null), events (event.user),
    and a bare string where Slack sends one. Anything odd reads as no user."""
    if not isinstance(body, dict):
        return None
    for candidate in (body.get("user"), body.get("user_id")):
        found = _id_from(candidate)
        if found:
            return found
    event = body.get("event")
    if isinstance(event, dict):
        return _id_from(event.get("user")) or _id_from(event.get("user_id"))
    return None


def _id_from(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and 0 < len(value) <= 40 and value.isalnum():
        return value
    return None


class AccessMiddleware(Middleware):
    """The Bolt global middleware. ``background`` posts the "not allowed" note for clicks
    after the ack (a response_url post is I/O). A plain Middleware, not a function: Bolt
    builds a function middleware's arguments by parsing the payload, which may be malformed."""

    def __init__(self, policy: AccessPolicy, background: Executor):
        self.policy = policy
        self.background = background

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        body = req.body
        kind = _kind(body)
        if kind is None or self.policy.everyone:
            return next()  # url_verification, ssl_check…: no user to check
        user_id = user_id_of(body)
        allowed = self.policy.is_allowed(user_id)
        if allowed:
            return next()
        why = "not listed" if allowed is False else "unchecked"
        log.info("refused a %s from %s (%s)", kind, user_id or "no user", why)
        return _refusal(kind, body, NOT_ALLOWED if allowed is False else COULD_NOT_CHECK, self.background)


def _kind(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind in ("url_verification", "ssl_check", "app_rate_limited"):
        return None
    return kind if isinstance(kind, str) else "unknown"


def _refusal(kind: str, body: dict, text: str, background: Executor) -> BoltResponse:
    if kind == "command":
        return _json({"response_type": "ephemeral", "text": text})
    if kind == "view_submission":
        block_id = _first_input_block(body.get("view"))
        if block_id:
            return _json({"response_action": "errors", "errors": {block_id: text}})
        return _json({"response_action": "clear"})
    if kind in ("block_suggestion", "dialog_suggestion"):
        return _json({"options": []})
    if kind in ("block_actions", "interactive_message", "message_action", "shortcut"):
        url = shapes.response_url(body.get("response_url"))
        if url:
            background.submit(_tell, url, text)
    # Events, view_closed and anything new: acknowledged, ignored.
    return BoltResponse(status=200, body="")


def _first_input_block(view: Any) -> str | None:
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else ():
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return block["block_id"]
    return None


def _tell(url: str, text: str) -> None:
    try:
        WebhookClient(url, timeout=10).send(text=text, response_type="ephemeral", replace_original=False)
    except Exception as error:
        log.info("could not tell a refused user: %s", type(error).__name__)


def _json(body: dict) -> BoltResponse:
    return BoltResponse(status=200, body=body, headers={"content-type": "application/json;charset=utf-8"})
