"""gunicorn settings for the baseline apps: the bot's own (bot/gunicorn_conf.py), minus its hooks.

`gunicorn -c python:bench.gunicorn_conf bench.naive_app:application` serves a baseline the way the
Procfile serves the bot: same bind, WEB_CONCURRENCY workers, gthread worker class, 32 threads,
timeouts and keep-alive. The hooks are left out: on_starting checks the bot's settings and
worker_exit stops the bot's dispatcher, neither of which a baseline has.
"""

from bot.gunicorn_conf import (  # noqa: F401 - gunicorn reads these names from this module
    accesslog,
    bind,
    errorlog,
    graceful_timeout,
    keepalive,
    loglevel,
    threads,
    timeout,
    worker_class,
    workers,
)
