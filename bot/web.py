"""The HTTP app: POST /slack/events (commands, interactivity, options), GET /healthz."""

from __future__ import annotations

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import operations_http as operations
from bot.app import build_app
from bot.config import Settings
from bot.logging_setup import configure_logging
from bot.operations_http import OPERATIONS_PATHS
from bot.services import Services

SLACK_PATH = "/slack/events"


def create_wsgi_app(settings: Settings, *, start_dispatcher: bool = True):
    configure_logging(settings.log_level, settings.secrets)
    services = Services.build(settings, start_dispatcher=start_dispatcher)
    slack_handler = SlackRequestHandler(build_app(services), path=SLACK_PATH)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if path in OPERATIONS_PATHS and method in ("GET", "HEAD"):
            return operations.serve(path, services, environ, start_response)
        if path == SLACK_PATH:
            if method != "POST":
                start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "POST")])
                return [b"POST only\n"]
            return slack_handler(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found\n"]

    application.services = services  # type: ignore[attr-defined]
    return application
