"""`python -m bot` runs the bot; `python -m bot check` checks its configuration;
`python -m bot queue` lists, retries or resolves queued sales (bot/queue_cli.py);
`python -m bot migrate` upgrades the database schema (bot/migrate_cli.py).

With SLACK_APP_TOKEN set it connects over Socket Mode (no public URL needed); otherwise
it serves the same HTTP app as the Procfile, with gunicorn, on $PORT.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from bot.allocator import tuned_environment
from bot.config import ConfigError, Settings

log = logging.getLogger("bot")


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        from bot.check import run_check

        return run_check()
    if argv[:1] == ["queue"]:
        from bot.queue_cli import run_queue

        return run_queue(argv[1:])
    if argv[:1] == ["migrate"]:
        from bot.migrate_cli import run_migrate

        return run_migrate(argv[1:])
    if argv and argv[0] not in ("run",):
        print("usage: python -m bot [run|check|queue|migrate]", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"logsale: configuration error: {error}", file=sys.stderr)
        return 2
    tuned = tuned_environment(os.environ)
    if tuned is not None:
        # malloc reads its settings only as a program starts (bot/allocator.py): start again.
        os.execve(sys.executable, [sys.executable, "-m", "bot", *argv], tuned)
    if settings.slack_app_token:
        return run_socket_mode(settings)
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "-c", "python:bot.gunicorn_conf", "bot.wsgi:application"]
    run()
    return 0


def run_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    from bot.app import build_app
    from bot.logging_setup import configure_logging
    from bot.services import Services

    configure_logging(settings.log_level, settings.secrets)
    # The background work starts only once Slack has let us in: a failed start leaves no threads.
    services = Services.build(settings, start_dispatcher=False)
    handler = SocketModeHandler(build_app(services), settings.slack_app_token)
    try:
        handler.connect()  # apps.connections.open, then the WebSocket
    except SlackApiError as error:
        print(f"logsale: {_app_token_fix(error.response.get('error'))}", file=sys.stderr, flush=True)
        return 1
    except OSError as error:  # refused, DNS, timeout (urllib's URLError is an OSError)
        print(
            f"logsale: can't reach Slack at {settings.slack_api_url} ({type(error).__name__}): "
            "check the network (and SLACK_API_URL, if you set it), then start again.",
            file=sys.stderr,
            flush=True,
        )
        return 1
    services.start()
    log.info("connected to Slack over Socket Mode")
    threading.Event().wait()
    return 0


def _app_token_fix(code: str | None) -> str:
    if code == "not_allowed_token_type":
        return (
            "Slack said not_allowed_token_type: SLACK_APP_TOKEN must be an app-level token (xapp-…), "
            "not the bot token; create one under Basic Information > App-Level Tokens with connections:write."
        )
    return (
        f"Slack refused SLACK_APP_TOKEN ({code}): create an app-level token (xapp-…) with connections:write "
        "under Basic Information > App-Level Tokens, set SLACK_APP_TOKEN to it, and check Socket Mode is on."
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
