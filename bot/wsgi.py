"""What gunicorn serves (see Procfile): the HTTP app, built from the environment at import."""

from __future__ import annotations

import sys

from bot.config import ConfigError, Settings
from bot.web import create_wsgi_app


def _load() -> object:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        # One line naming the variable; no traceback for a configuration mistake.
        print(f"logsale: configuration error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    return create_wsgi_app(settings)


# gunicorn imports this in each worker (no --preload), so each worker gets its own
# dispatcher threads and database connections.
application = _load()
