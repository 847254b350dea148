"""`python -m bot` runs the bot; `python -m bot check` checks its configuration;
`python -m bot queue` lists, retries or resolves queued sales (bot/queue_cli.py).

With SLACK_APP_TOKEN set it connects over Socket Mode (no public URL needed); otherwise
it serves the same HTTP app as the Procfile, with gunicorn, on $PORT.
"""

from __future__ import annotations

import sys

from bot.config import ConfigError, Settings


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        from bot.check import run_check

        return run_check()
    if argv[:1] == ["queue"]:
        from bot.queue_cli import run_queue

        return run_queue(argv[1:])
    if argv and argv[0] not in ("run",):
        print("usage: python -m bot [run|check|queue]", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"logsale: configuration error: {error}", file=sys.stderr)
        return 2
    if settings.slack_app_token:
        return run_socket_mode(settings)
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "-c", "python:bot.gunicorn_conf", "bot.wsgi:application"]
    run()
    return 0


def run_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.logging_setup import configure_logging
    from bot.services import Services

    configure_logging(settings.log_level, settings.secrets)
    app = build_app(Services.build(settings))
    SocketModeHandler(app, settings.slack_app_token).start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
