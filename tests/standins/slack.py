"""A stand-in for Slack's Web API and for ``response_url`` webhooks, served over real HTTP.

It listens on 127.0.0.1 (port 0, i.e. any free port) in a daemon thread, so the real
``slack_sdk.WebClient(base_url=standin.api_url)``, ``slack_sdk.webhook.WebhookClient`` and Bolt's
``respond()`` talk to it exactly as they would talk to Slack.

What it models (each from Slack's method docs / slack_sdk source):

* every Web API method is ``/api/<method>``; slack_sdk always POSTs, with a form body
  (``params=``), a JSON body (``json=``: views.*, chat.*) or only a query string (methods
  slack_sdk calls with ``http_verb="GET"``, e.g. ``users.info``). GET is accepted too;
* ``Authorization: Bearer <token>`` -> ``not_authed`` when absent, ``invalid_auth`` when wrong.
  Form bodies may carry ``token=`` instead (Slack accepts it); JSON bodies may not;
* answers are HTTP 200 ``{"ok": ...}``; ``ratelimited`` is HTTP 429 with ``Retry-After``;
* trigger ids: issued by :meth:`SlackStandIn.new_trigger_id`, valid ``trigger_ttl`` (3 s),
  usable once (``exchanged_trigger_id``), unknown -> ``invalid_trigger_id``;
* modal limits (title/submit/close <= 24 chars, <= 100 blocks, callback_id <= 255,
  private_metadata <= 3000, option text <= 75, option value <= 150, <= 100 options,
  placeholder <= 150, submit required with input blocks, unique block_ids,
  number_input needs is_decimal_allowed) -> ``invalid_arguments`` with
  ``response_metadata.messages`` like Slack's ``[ERROR] ... [json-pointer:/view/...]``;
* response_url: 5 posts within 30 minutes, then HTTP 404 ``used_url`` / ``expired_url``;
* an outage (:meth:`SlackStandIn.go_down` / :meth:`SlackStandIn.come_back`): every call and
  response_url post answers 503 (or 500, or 429 ``ratelimited``), or nothing listens at all.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from tests.standins.background_server import BackgroundServer

TEAM_ID = "T0TEST"
TEAM_NAME = "Acme"
TEAM_DOMAIN = "acme"
BOT_USER_ID = "U0BOT0001"
BOT_USER_NAME = "logsale"
BOT_ID = "B0BOT0001"
APP_ID = "A0LOGSALE"

# Fields that slack_sdk / callers send JSON-encoded inside form bodies.
_JSON_FIELDS = ("view", "blocks", "attachments", "metadata")
_TRIGGER_RE = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
_TZ_LABELS = {
    "IST": "India Standard Time",
    "GMT": "Greenwich Mean Time",
    "UTC": "Coordinated Universal Time",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "JST": "Japan Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
}


@dataclass
class Call:
    """One request the stand-in answered (a Web API call or a response_url post)."""

    method: str  # "views.open", ... or "response_url"
    args: dict[str, Any]  # query + form/JSON body merged; view/blocks/attachments decoded
    url: str
    path: str
    token: str | None  # from the Authorization header (or a form ``token`` field)
    time: float  # time.time() when the request arrived
    http_method: str = "POST"
    content_type: str = ""
    status: int = 200  # HTTP status answered
    response: Any = None  # dict for API calls, str body for response_url posts
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        if isinstance(self.response, dict):
            return bool(self.response.get("ok"))
        return self.status == 200


class _Reply:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


def _err(error: str, *, messages: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error": error, **extra}
    if messages:
        body["response_metadata"] = {"messages": messages}
    return body


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _text_len(obj: Any) -> int | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return len(obj["text"])
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._serve("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def _serve(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k: v for k, v in self.headers.items()}
        try:
            reply = self.server.standin._handle(verb, self.path, headers, body)
        except Exception as exc:  # pragma: no cover - a bug in the stand-in itself
            reply = _Reply(500, {"ok": False, "error": "fatal_error", "detail": repr(exc)})
        if isinstance(reply.body, (dict, list)):
            payload = json.dumps(reply.body).encode()
            ctype = "application/json; charset=utf-8"
        else:
            payload = str(reply.body).encode()
            ctype = "text/html"
        self.send_response(reply.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)


class SlackStandIn:
    """Slack Web API + response_url stand-in. Use as a context manager or start()/stop()."""

    def __init__(self, bot_token: str = "xoxb-test-token", app_token: str = "xapp-test-token"):
        self.bot_token = bot_token
        self.app_token = app_token  # the app-level token apps.connections.open takes (Socket Mode)
        # --- knobs -------------------------------------------------------------
        self.delay: float = 0.0  # seconds every Web API call sleeps before answering
        self.method_delays: dict[str, float] = {}  # extra per-method sleep, e.g. {"users.info": 2}
        self.response_url_delay: float = 0.0  # seconds every response_url post sleeps
        self.trigger_ttl: float = 3.0
        self.response_url_ttl: float = 30 * 60
        self.response_url_max_posts: int = 5
        self.retry_after: int = 1  # Retry-After header (seconds) sent with "ratelimited"
        self.chat_write_public: bool = False  # True: bot may post to public channels it isn't in
        self.email_scope: bool = True  # False: users.info omits profile.email (no users:read.email)
        # (status, body) every response_url post answers with, e.g. (500, "internal_error")
        self.response_url_failure: tuple[int, str] | None = None
        # While Slack is "down" (go_down): the HTTP status every request is answered with.
        self._outage: int | None = None
        self._down_port: int | None = None
        # --- recorded traffic and state -------------------------------------
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.ims: dict[str, str] = {}  # user id -> D… id
        self.messages: list[dict[str, Any]] = []  # every message posted (incl. ephemeral)
        self.views: dict[str, dict[str, Any]] = {}  # view id -> current view object
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> their published Home tab
        self.home_tab_enabled: bool = True  # False: views.publish answers not_enabled, as Slack does
        self._stacks: dict[str, list[str]] = {}  # root view id -> stack of view ids
        self._triggers: dict[str, dict[str, Any]] = {}
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._fail: dict[str, list[tuple[str, int | None]]] = {}
        self._seq = 0
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: BackgroundServer | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "apps.connections.open": self._apps_connections_open,
        }

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> SlackStandIn:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.standin = self
        self._server = BackgroundServer(server, "slack-standin")
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def go_down(self, status: int | None = 503) -> None:
        """Slack goes down for every Web API call and response_url post until come_back():
        ``status`` 5xx answers that with an HTML error page, 429 answers ``ratelimited`` with
        Retry-After; ``None`` stops listening altogether (connections are refused)."""
        if status is not None:
            with self._lock:
                self._outage = status
            return
        port = self.port
        self.stop()
        self._down_port = port

    def come_back(self) -> None:
        with self._lock:
            self._outage = None
        if self._server is None and self._down_port is not None:
            server = _Server(("127.0.0.1", self._down_port), _Handler)  # the same port: URLs stay valid
            server.standin = self
            self._server = BackgroundServer(server, "slack-standin")
            self._down_port = None

    def _outage_reply(self, *, api: bool) -> _Reply | None:
        if self._outage is None:
            return None
        if self._outage == 429:
            body: Any = _err("ratelimited") if api else "rate_limited"
            return _Reply(429, body, {"Retry-After": str(self.retry_after)})
        return _Reply(self._outage, f"<html><body><h1>{self._outage} Service Unavailable</h1></body></html>")

    @property
    def port(self) -> int:
        if self._server is None and self._down_port is not None:
            return self._down_port
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started; call start() or use it as a context manager")
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL / ``WebClient(base_url=...)`` should be (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ fixtures
    def add_user(
        self,
        user_id: str,
        email: str | None = None,
        tz: str | None = "Asia/Kolkata",
        locale: str = "en-IN",
        name: str = "priya",
        real_name: str = "Priya Shah",
        deleted: bool = False,
        *,
        display_name: str | None = None,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        if tz is not None:
            ZoneInfo(tz)  # fail early on a bad IANA name
        user = {
            "id": user_id,
            "email": email,
            "tz": tz,
            "locale": locale,
            "name": name,
            "real_name": real_name,
            "display_name": display_name if display_name is not None else name,
            "deleted": deleted,
            "is_bot": is_bot,
        }
        with self._lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        bot_is_member: bool = True,
        *,
        is_private: bool = False,
        is_archived: bool = False,
        user_not_in_channel: bool = False,
    ) -> dict[str, Any]:
        """Register a channel. ``user_not_in_channel=True`` makes chat.postEphemeral fail there."""
        channel = {
            "id": channel_id,
            "name": name,
            "bot_is_member": bot_is_member,
            "is_private": is_private,
            "is_archived": is_archived,
            "user_not_in_channel": user_not_in_channel,
        }
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def new_trigger_id(self, *, age: float = 0.0, view_id: str | None = None) -> str:
        """Issue a trigger id like Slack's ``"12345.98765.abcdef…"``.

        ``age`` back-dates it (``age=5`` gives an already expired one); ``view_id`` says which
        modal the interaction came from (views.push pushes onto that view's stack).
        """
        trigger = f"{secrets.randbelow(10**12):012d}.{secrets.randbelow(10**11):011d}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger] = {"issued": time.time() - age, "used": False, "view_id": view_id}
        return trigger

    def new_response_url(self, *, channel_id: str | None = None, user_id: str | None = None) -> str:
        """Issue a response_url (``http://127.0.0.1:PORT/response/<random>``)."""
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._response_urls[key] = {
                "issued": time.time(),
                "posts": 0,
                "expired": False,
                "channel_id": channel_id,
                "user_id": user_id,
            }
        return f"{self.base_url}/response/{key}"

    def expire_response_url(self, url: str) -> None:
        with self._lock:
            self._response_urls[self._response_key(url)]["expired"] = True

    def response_url_posts(self, url: str) -> int:
        """How many posts the response_url accepted so far."""
        with self._lock:
            return self._response_urls[self._response_key(url)]["posts"]

    def fail_next(self, method: str, error: str = "ratelimited", count: int = 1, *, status: int | None = None) -> None:
        """Make the next ``count`` calls to ``method`` fail with ``error``.

        ``ratelimited`` answers HTTP 429 + ``Retry-After`` like Slack; other errors answer HTTP 200
        ``{"ok": false, "error": error}`` unless ``status`` says otherwise. ``method="response_url"``
        fails response_url posts (HTTP 404 with ``error`` as the body, 429 for ratelimited).
        """
        with self._lock:
            self._fail.setdefault(method, []).extend([(error, status)] * count)

    def set_view_state(self, view_id: str, values: dict[str, Any]) -> None:
        """Pretend the user typed into a modal: sets ``view.state.values``."""
        with self._lock:
            self.views[view_id]["state"] = {"values": copy.deepcopy(values)}

    def view_stack(self, view_id: str) -> list[str]:
        with self._lock:
            root = self.views[view_id]["root_view_id"]
            return list(self._stacks.get(root, []))

    # ------------------------------------------------------------------ inspection
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def clear_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until ``count`` matching calls were answered; return all matching calls.

        Raises AssertionError listing what did arrive when the timeout passes.
        """

        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and (predicate is None or predicate(c))]

        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = matching()
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            summary = "\n".join(
                f"  {c.method} status={c.status} args={json.dumps(c.args, default=str)[:300]}" for c in self.calls
            )
        raise AssertionError(
            f"expected {count} call(s) to {method}"
            + (" matching the predicate" if predicate else "")
            + f" within {timeout}s, got {len(found)}. All calls so far ({len(self.calls)}):\n"
            + (summary or "  (none)")
        )

    # ------------------------------------------------------------------ HTTP entry
    def _handle(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        arrived = time.time()
        split = urlsplit(raw_path)
        path = split.path
        url = f"{self.base_url}{raw_path}"
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if path.startswith("/api/"):
            return self._handle_api(verb, path, split.query, url, ctype, auth, headers, body, arrived)
        if path.startswith("/response/"):
            return self._handle_response_url(verb, path, url, ctype, headers, body, arrived)
        return _Reply(404, "not_found")

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _handle_api(
        self,
        verb: str,
        path: str,
        query: str,
        url: str,
        ctype: str,
        auth: str,
        headers: dict[str, str],
        body: bytes,
        arrived: float,
    ) -> _Reply:
        method = path[len("/api/") :]
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        token: str | None = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        reply: _Reply | None = None
        is_json = "application/json" in ctype.lower()
        if body:
            if is_json:
                try:
                    parsed = json.loads(body.decode("utf-8"))
                    if not isinstance(parsed, dict):
                        raise ValueError("not an object")
                    args.update(parsed)
                except ValueError:
                    reply = _Reply(200, _err("invalid_json"))
            elif "multipart/form-data" in ctype.lower():
                reply = _Reply(200, _err("invalid_form_data"))  # file uploads are not modelled
            else:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        if token is None and not is_json and "token" in args:
            token = str(args.pop("token"))
        else:
            args.pop("token", None)
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str) and args[key].strip()[:1] in ("{", "["):
                with contextlib.suppress(ValueError):  # leave malformed JSON as the raw string
                    args[key] = json.loads(args[key])

        if reply is None:
            reply = self._dispatch_api(method, args, token)

        sleep = self.delay + self.method_delays.get(method, 0.0)
        if sleep > 0:
            time.sleep(sleep)
        self._record(
            Call(
                method=method,
                args=args,
                url=url,
                path=path,
                token=token,
                time=arrived,
                http_method=verb,
                content_type=ctype,
                status=reply.status,
                response=reply.body,
                headers=headers,
            )
        )
        return reply

    def _dispatch_api(self, method: str, args: dict[str, Any], token: str | None) -> _Reply:
        handler = self._methods.get(method)
        if handler is None:
            return _Reply(200, _err("unknown_method", req_method=method))
        with self._lock:
            outage = self._outage_reply(api=True)
            if outage is not None:
                return outage
            if method != "api.test":
                if not token:
                    return _Reply(200, _err("not_authed"))
                if method == "apps.connections.open" and token.startswith("xoxb-"):
                    return _Reply(200, _err("not_allowed_token_type"))
                if token != (self.app_token if method == "apps.connections.open" else self.bot_token):
                    return _Reply(200, _err("invalid_auth"))
            queued = self._fail.get(method)
            if queued:
                error, status = queued.pop(0)
                if error == "ratelimited":
                    return _Reply(status or 429, _err("ratelimited"), {"Retry-After": str(self.retry_after)})
                return _Reply(status or 200, _err(error))
            return _Reply(200, handler(args))

    # ------------------------------------------------------------------ response_url
    def _response_key(self, url: str) -> str:
        path = urlsplit(url).path
        if not path.startswith("/response/"):
            raise KeyError(url)
        return path[len("/response/") :]

    def _handle_response_url(
        self, verb: str, path: str, url: str, ctype: str, headers: dict[str, str], body: bytes, arrived: float
    ) -> _Reply:
        key = path[len("/response/") :]
        text = body.decode("utf-8", errors="replace")
        payload: dict[str, Any] | None = None
        try:
            if "application/x-www-form-urlencoded" in ctype.lower():
                form = dict(parse_qsl(text, keep_blank_values=True))
                payload = json.loads(form.get("payload", ""))
            else:
                payload = json.loads(text)
            if not isinstance(payload, dict):
                payload = None
        except ValueError:
            payload = None

        with self._lock:
            rec = self._response_urls.get(key)
            queued = self._fail.get("response_url")
            outage = self._outage_reply(api=False)
            if outage is not None:
                reply = outage
            elif queued:
                error, status = queued.pop(0)
                reply = (
                    _Reply(status or 429, "rate_limited", {"Retry-After": str(self.retry_after)})
                    if error in ("ratelimited", "rate_limited")
                    else _Reply(status or 404, error)
                )
            elif self.response_url_failure is not None:
                reply = _Reply(*self.response_url_failure)
            elif verb != "POST":
                reply = _Reply(405, "invalid_method")
            elif rec is None:
                reply = _Reply(404, "no_service")
            elif rec["expired"] or time.time() - rec["issued"] > self.response_url_ttl:
                reply = _Reply(404, "expired_url")
            elif rec["posts"] >= self.response_url_max_posts:
                reply = _Reply(404, "used_url")
            elif payload is None:
                reply = _Reply(400, "invalid_payload")
            elif not (
                payload.get("text")
                or payload.get("blocks")
                or payload.get("attachments")
                or _truthy(payload.get("delete_original", False))
            ):
                reply = _Reply(400, "no_text")
            else:
                rec["posts"] += 1
                reply = _Reply(200, "ok")
        if self.response_url_delay > 0:
            time.sleep(self.response_url_delay)
        self._record(
            Call(
                method="response_url",
                args=payload if payload is not None else {"_raw": text},
                url=url,
                path=path,
                token=None,
                time=arrived,
                http_method=verb,
                content_type=ctype,
                status=reply.status,
                response=reply.body,
                headers=headers,
            )
        )
        return reply

    # ------------------------------------------------------------------ helpers (lock held)
    def _next_ts(self) -> str:
        self._seq += 1
        return f"{int(time.time())}.{self._seq:06d}"

    def _new_id(self, prefix: str) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
        return prefix + "".join(secrets.choice(alphabet) for _ in range(10))

    def _im_for(self, user_id: str) -> tuple[str, bool]:
        existing = self.ims.get(user_id)
        if existing:
            return existing, True
        dm = self._new_id("D")
        self.ims[user_id] = dm
        return dm, False

    def _resolve_post_target(self, channel: str, *, need_membership: bool) -> tuple[str | None, str | None]:
        """-> (channel id, error)."""
        if not channel:
            return None, "channel_not_found"
        if channel[:1] in ("U", "W"):
            user = self.users.get(channel)
            if user is None:
                return None, "channel_not_found"
            if user["deleted"]:
                return None, "user_disabled"
            return self._im_for(channel)[0], None
        if channel.startswith("D"):
            return (channel, None) if channel in self.ims.values() else (None, "channel_not_found")
        info = self.channels.get(channel) or next(
            (c for c in self.channels.values() if f"#{c['name']}" == channel or c["name"] == channel), None
        )
        if info is None:
            return None, "channel_not_found"
        if info["is_private"] and not info["bot_is_member"]:
            return None, "channel_not_found"
        if info["is_archived"]:
            return None, "is_archived"
        if need_membership and not info["bot_is_member"] and not self.chat_write_public:
            return None, "not_in_channel"
        return info["id"], None

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": args.get("text", "") or "",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
            "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": BOT_USER_NAME, "team_id": TEAM_ID},
        }
        if args.get("blocks"):
            message["blocks"] = args["blocks"]
        if args.get("attachments"):
            message["attachments"] = args["attachments"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        return message

    @staticmethod
    def _message_content_error(args: dict[str, Any]) -> str | None:
        if not (args.get("text") or args.get("blocks") or args.get("attachments") or args.get("markdown_text")):
            return "no_text"
        if len(str(args.get("text") or "")) > 40000:
            return "msg_too_long"
        blocks = args.get("blocks")
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50):
            return "invalid_blocks"
        return None

    # ------------------------------------------------------------------ Web API methods
    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": dict(args)}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_USER_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _user_object(self, user: dict[str, Any], include_locale: bool) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": user["real_name"],
            "real_name_normalized": user["real_name"],
            "display_name": user["display_name"],
            "display_name_normalized": user["display_name"],
            "title": "",
            "phone": "",
            "status_text": "",
            "status_emoji": "",
            "team": TEAM_ID,
        }
        if user["email"] and self.email_scope:
            profile["email"] = user["email"]
        obj: dict[str, Any] = {
            "id": user["id"],
            "team_id": TEAM_ID,
            "name": user["name"],
            "deleted": user["deleted"],
            "color": "9f69e7",
            "real_name": user["real_name"],
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user["is_bot"],
            "is_app_user": False,
            "updated": 1700000000,
        }
        if user["tz"]:
            now = datetime.now(ZoneInfo(user["tz"]))
            offset = now.utcoffset()
            abbr = now.tzname() or ""
            obj["tz"] = user["tz"]
            obj["tz_label"] = _TZ_LABELS.get(abbr, abbr)
            obj["tz_offset"] = int(offset.total_seconds()) if offset is not None else 0
        if include_locale:
            obj["locale"] = user["locale"]
        return obj

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        # No WebSocket server behind it: enough for the token check Socket Mode starts with.
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=standin"}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            return _err("user_not_found")
        return {"ok": True, "user": self._user_object(user, _truthy(args.get("include_locale", False)))}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        for user in self.users.values():
            if user["email"] and user["email"].lower() == email and not user["deleted"]:
                return {"ok": True, "user": self._user_object(user, False)}
        return _err("users_not_found")

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._resolve_post_target(str(args.get("channel", "")), need_membership=True)
        if error:
            return _err(error)
        error = self._message_content_error(args)
        if error:
            return _err(error)
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        self.messages.append({**message, "channel": channel, "ephemeral": False})
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._resolve_post_target(str(args.get("channel", "")), need_membership=False)
        if error:
            return _err(error)
        user_id = str(args.get("user", ""))
        if user_id not in self.users:
            return _err("user_not_found")
        info = self.channels.get(channel or "")
        if info is not None and info["user_not_in_channel"]:
            return _err("user_not_in_channel")
        error = self._message_content_error(args)
        if error:
            return _err(error)
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        self.messages.append({**message, "channel": channel, "ephemeral": True, "to_user": user_id})
        return {"ok": True, "message_ts": ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._resolve_post_target(str(args.get("channel", "")), need_membership=False)
        if error:
            return _err(error)
        ts = str(args.get("ts", ""))
        target = next(
            (m for m in self.messages if m["channel"] == channel and m["ts"] == ts and not m["ephemeral"]),
            None,
        )
        if target is None:
            return _err("message_not_found")
        error = self._message_content_error(args)
        if error:
            return _err(error)
        for key in ("text", "blocks", "attachments"):
            if key in args:
                target[key] = args[key]
        target["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        message = {k: v for k, v in target.items() if k not in ("channel", "ephemeral")}
        return {"ok": True, "channel": channel, "ts": ts, "text": target.get("text", ""), "message": message}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u.strip() for u in str(args.get("users", "") or "").split(",") if u.strip()]
        if not users:
            channel = str(args.get("channel", "") or "")
            if channel and channel in self.ims.values():
                return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel}}
            return _err("channel_not_found" if channel else "users_list_not_supplied")
        if len(users) > 1:
            return _err("method_not_supported_for_channel_type")  # group DMs are not modelled
        user = self.users.get(users[0])
        if user is None:
            return _err("user_not_found")
        if user["deleted"]:
            return _err("user_disabled")
        dm, existed = self._im_for(users[0])
        channel_obj: dict[str, Any] = {"id": dm}
        if _truthy(args.get("return_im", False)):
            channel_obj.update({"is_im": True, "user": users[0], "is_open": True, "created": 1700000000})
        reply: dict[str, Any] = {"ok": True, "channel": channel_obj}
        if existed:
            reply.update({"no_op": True, "already_open": True})
        return reply

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        info = self.channels.get(channel)
        if info is None or (info["is_private"] and not info["bot_is_member"]):
            if channel in self.ims.values():
                user = next(u for u, d in self.ims.items() if d == channel)
                return {"ok": True, "channel": {"id": channel, "is_im": True, "user": user}}
            return _err("channel_not_found")
        return {
            "ok": True,
            "channel": {
                "id": info["id"],
                "name": info["name"],
                "is_channel": not info["is_private"],
                "is_group": False,
                "is_im": False,
                "is_private": info["is_private"],
                "is_archived": info["is_archived"],
                "is_member": info["bot_is_member"],
            },
        }

    # ---- views
    def _consume_trigger(self, args: dict[str, Any]) -> str | None:
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        if not trigger or not _TRIGGER_RE.match(trigger):
            return "invalid_trigger_id"
        rec = self._triggers.get(trigger)
        if rec is None:
            return "invalid_trigger_id"
        if rec["used"]:
            return "exchanged_trigger_id"
        if time.time() - rec["issued"] > self.trigger_ttl:
            return "expired_trigger_id"
        rec["used"] = True
        return None

    def _view_messages(self, view: Any, *, allowed_types: tuple[str, ...]) -> list[str]:
        """Slack-like validation of a view; returns '[ERROR] … [json-pointer:…]' messages."""
        msgs: list[str] = []

        def bad(msg: str, pointer: str) -> None:
            msgs.append(f"[ERROR] {msg} [json-pointer:{pointer}]")

        if not isinstance(view, dict):
            bad("failed to match all allowed schemas", "/view")
            return msgs
        if view.get("type") not in allowed_types:
            bad(f"must be one of {list(allowed_types)}", "/view/type")
        for key in ("title", "submit", "close"):
            obj = view.get(key)
            if obj is None:
                if key == "title" and view.get("type") == "modal":
                    bad("missing required field: title", "/view")
                continue
            if not isinstance(obj, dict) or obj.get("type") != "plain_text":
                bad("must be a plain_text text object", f"/view/{key}")
                continue
            n = _text_len(obj) or 0
            if n == 0 or n > 24:
                bad("must be less than 25 characters", f"/view/{key}/text")
        for key, limit in (("callback_id", 255), ("private_metadata", 3000), ("external_id", 255)):
            value = view.get(key)
            if value is not None and len(str(value)) > limit:
                bad(f"must be less than {limit + 1} characters", f"/view/{key}")
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            bad("missing required field: blocks", "/view")
            return msgs
        if len(blocks) > 100:
            bad("no more than 100 items allowed", "/view/blocks")
        seen: set[str] = set()
        has_input = False
        for i, block in enumerate(blocks):
            ptr = f"/view/blocks/{i}"
            if not isinstance(block, dict) or "type" not in block:
                bad("failed to match all allowed schemas", ptr)
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                if len(str(block_id)) > 255:
                    bad("must be less than 256 characters", f"{ptr}/block_id")
                if block_id in seen:
                    bad(f"duplicate block_id: {block_id}", f"{ptr}/block_id")
                seen.add(block_id)
            if block["type"] == "input":
                has_input = True
                label_len = _text_len(block.get("label"))
                if label_len is None:
                    bad("missing required field: label", ptr)
                elif label_len > 2000:
                    bad("must be less than 2001 characters", f"{ptr}/label/text")
                if not isinstance(block.get("element"), dict):
                    bad("missing required field: element", ptr)
            for j, element in enumerate(self._block_elements(block)):
                self._check_element(element, f"{ptr}/{element.pop('__where__', j)}", bad)
        if has_input and view.get("type") == "modal" and not view.get("submit"):
            bad("must provide a submit property when using input blocks", "/view")
        return msgs

    @staticmethod
    def _block_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if isinstance(block.get("element"), dict):
            found.append({**block["element"], "__where__": "element"})
        if isinstance(block.get("accessory"), dict):
            found.append({**block["accessory"], "__where__": "accessory"})
        if isinstance(block.get("elements"), list) and block["type"] == "actions":
            for k, el in enumerate(block["elements"]):
                if isinstance(el, dict):
                    found.append({**el, "__where__": f"elements/{k}"})
        return found

    @staticmethod
    def _check_element(element: dict[str, Any], ptr: str, bad: Callable[[str, str], None]) -> None:
        etype = element.get("type")
        action_id = element.get("action_id")
        if action_id is not None and len(str(action_id)) > 255:
            bad("must be less than 256 characters", f"{ptr}/action_id")
        placeholder = _text_len(element.get("placeholder"))
        if placeholder is not None and placeholder > 150:
            bad("must be less than 151 characters", f"{ptr}/placeholder/text")
        if etype == "number_input" and "is_decimal_allowed" not in element:
            bad("missing required field: is_decimal_allowed", ptr)
        options = element.get("options")
        if isinstance(options, list):
            if len(options) > 100:
                bad("no more than 100 items allowed", f"{ptr}/options")
            for k, opt in enumerate(options):
                if not isinstance(opt, dict):
                    continue
                if (_text_len(opt.get("text")) or 0) > 75:
                    bad("must be less than 76 characters", f"{ptr}/options/{k}/text/text")
                if len(str(opt.get("value", ""))) > 150:
                    bad("must be less than 151 characters", f"{ptr}/options/{k}/value")
        min_query = element.get("min_query_length")
        if etype == "external_select" and min_query is not None and (not isinstance(min_query, int) or min_query < 0):
            bad("must be a non-negative integer", f"{ptr}/min_query_length")

    def _store_view(
        self, view: dict[str, Any], *, view_id: str, root_view_id: str, previous_view_id: str | None
    ) -> dict[str, Any]:
        blocks = copy.deepcopy(view.get("blocks", []))
        for block in blocks:
            if isinstance(block, dict) and not block.get("block_id"):
                block["block_id"] = secrets.token_urlsafe(3)[:4]  # Slack fills in short random ids
        old = self.views.get(view_id)
        stored = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view.get("type"),
            "blocks": blocks,
            "private_metadata": view.get("private_metadata", "") or "",
            "callback_id": view.get("callback_id", "") or "",
            "state": copy.deepcopy(old["state"]) if old else {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": APP_ID,
            # an update that omits external_id keeps the one the view already has
            "external_id": view.get("external_id") or (old["external_id"] if old else ""),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        self.views[view_id] = stored
        return copy.deepcopy(stored)

    def _external_id_taken(self, external_id: str, except_view: str | None = None) -> bool:
        return bool(external_id) and any(
            v["external_id"] == external_id and vid != except_view for vid, v in self.views.items()
        )

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if view is None:
            return _err("invalid_arguments", messages=["[ERROR] missing required field: view"])
        msgs = self._view_messages(view, allowed_types=("modal",))
        if msgs:
            return _err("invalid_arguments", messages=msgs)
        if len(json.dumps(view)) > 250_000:
            return _err("view_too_large")
        if self._external_id_taken(str(view.get("external_id") or "")):
            return _err("duplicate_external_id")
        error = self._consume_trigger(args)
        if error:
            return _err(error)
        view_id = self._new_id("V")
        self._stacks[view_id] = [view_id]
        stored = self._store_view(view, view_id=view_id, root_view_id=view_id, previous_view_id=None)
        return {"ok": True, "view": stored}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if view is None:
            return _err("invalid_arguments", messages=["[ERROR] missing required field: view"])
        msgs = self._view_messages(view, allowed_types=("modal",))
        if msgs:
            return _err("invalid_arguments", messages=msgs)
        if self._external_id_taken(str(view.get("external_id") or "")):
            return _err("duplicate_external_id")
        trigger = self._triggers.get(str(args.get("trigger_id") or args.get("interactivity_pointer") or ""))
        source_view = (trigger or {}).get("view_id")
        if source_view in self.views:
            root = self.views[source_view]["root_view_id"]
        elif self._stacks:
            root = list(self._stacks)[-1]  # most recently opened modal
        else:
            root = None
        error = self._consume_trigger(args)
        if error:
            return _err(error)
        if root is None:
            return _err("not_found")
        stack = self._stacks[root]
        if len(stack) >= 3:
            return _err("push_limit_reached")
        view_id = self._new_id("V")
        stored = self._store_view(view, view_id=view_id, root_view_id=root, previous_view_id=stack[-1])
        stack.append(view_id)
        return {"ok": True, "view": stored}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """A Home tab for one user (Tier 4). Slack: a `home` view, at most 100 blocks, the
        user must exist, `not_enabled` when the app's Home tab is off, `hash_conflict` when a
        given hash is not the current one."""
        view = args.get("view")
        if view is None:
            return _err("invalid_arguments", messages=["[ERROR] missing required field: view"])
        user_id = str(args.get("user_id") or "")
        if user_id not in self.users:
            return _err("user_not_found")
        msgs = self._view_messages(view, allowed_types=("home",))
        if msgs:
            return _err("invalid_arguments", messages=msgs)
        if len(json.dumps(view)) > 250_000:
            return _err("view_too_large")
        if not self.home_tab_enabled:
            return _err("not_enabled")
        current = self.home_views.get(user_id)
        expected = args.get("hash")
        if expected and current is not None and expected != current["hash"]:
            return _err("hash_conflict")
        view_id = current["id"] if current is not None else self._new_id("V")
        stored = self._store_view(view, view_id=view_id, root_view_id=view_id, previous_view_id=None)
        self.home_views[user_id] = stored
        return {"ok": True, "view": stored}

    def home_of(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab the user sees now (the last accepted views.publish), or None."""
        with self._lock:
            view = self.home_views.get(user_id)
            return copy.deepcopy(view) if view is not None else None

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if view is None:
            return _err("invalid_arguments", messages=["[ERROR] missing required field: view"])
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            return _err("invalid_arguments", messages=["[ERROR] either view_id or external_id is required"])
        if view_id:
            current = self.views.get(str(view_id))
        else:
            current = next((v for v in self.views.values() if v["external_id"] == external_id), None)
        if current is None:
            return _err("not_found")
        msgs = self._view_messages(view, allowed_types=("modal", "home"))
        if msgs:
            return _err("invalid_arguments", messages=msgs)
        if self._external_id_taken(str(view.get("external_id") or ""), except_view=current["id"]):
            return _err("duplicate_external_id")
        expected = args.get("hash")
        if expected and expected != current["hash"]:
            return _err("hash_conflict")
        stored = self._store_view(
            view,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
        )
        return {"ok": True, "view": stored}
