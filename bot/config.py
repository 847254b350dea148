"""Settings, read once from the environment (and a local `.env`).

A missing or malformed setting stops start-up with ConfigError: one line naming the
variable and how to fix it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.leadsquared.hosts import base_url_from_host

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///logsale.db"
DEFAULT_RATE_LIMIT = "25/5"
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ConfigError(Exception):
    """A setting is missing or malformed. str() is one line, safe to print (no secret values)."""


@dataclass(frozen=True)
class RateLimit:
    calls: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.calls}/{self.seconds:g}"


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    leadsquared_base_url: str
    leadsquared_access_key: str = field(repr=False)
    leadsquared_secret_key: str = field(repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    rate_limit: RateLimit = RateLimit(25, 5.0)
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    port: int = 3000
    # gunicorn's worker processes (bot/gunicorn_conf.py reads the same variable): database
    # connections are shared out between them.
    web_concurrency: int = 2
    log_level: str = "INFO"
    allowed_users: frozenset[str] = frozenset()
    admins: frozenset[str] = frozenset()
    # How long a sale that LeadSquared keeps refusing for transient reasons stays queued.
    retry_horizon_seconds: float = 24 * 3600
    # Seconds to wait for LeadSquared's answer in the background (a timeout is ambiguous).
    leadsquared_timeout: float = 20.0
    # A "posting" row older than this belongs to a dead process (see Outbox).
    lease_seconds: float = 60.0
    # GET /metrics wants "Authorization: Bearer <this>" when set.
    metrics_token: str | None = field(default=None, repr=False)
    # At most one App Home refresh per user this often, however many of their sales change.
    home_refresh_seconds: float = 5.0
    # Telling Slack: first back-off after an outage answer (doubles, capped at 60 s), and when to give up.
    notify_backoff_seconds: float = 2.0
    notify_horizon_seconds: float = 24 * 3600

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for the log redaction filter."""
        values = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.leadsquared_access_key,
            self.leadsquared_secret_key,
            self.metrics_token,
        )
        return tuple(v for v in values if v)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, load_dotenv_file: bool = True) -> Settings:
        if env is None:
            if load_dotenv_file:
                from dotenv import load_dotenv

                # Real environment wins over .env, so a deploy's settings can't be shadowed.
                load_dotenv(override=False)
            env = os.environ
        get = _Reader(env)
        database_url = _database_url(get.optional("DATABASE_URL") or DEFAULT_DATABASE_URL)
        if get.optional("DYNO") and database_url.startswith("sqlite"):
            # Heroku's filesystem is thrown away at every restart and deploy (at least daily):
            # queued sales, history and the duplicate-submission keys would go with it.
            raise ConfigError(
                "DATABASE_URL is SQLite on a Heroku dyno, whose files are lost at every restart: "
                "run `heroku addons:create heroku-postgresql` (it sets DATABASE_URL)."
            )
        return cls(
            slack_bot_token=get.required(
                "SLACK_BOT_TOKEN", "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth page"
            ),
            slack_signing_secret=get.required(
                "SLACK_SIGNING_SECRET", "the Signing Secret from your Slack app's Basic Information page"
            ),
            slack_app_token=get.optional("SLACK_APP_TOKEN"),
            slack_api_url=_slack_api_url(get.optional("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
            leadsquared_base_url=_leadsquared_base_url(
                get.required("LEADSQUARED_HOST", "your API host, e.g. api-in21.leadsquared.com")
            ),
            leadsquared_access_key=get.required(
                "LEADSQUARED_ACCESS_KEY", "LeadSquared > My Profile > Settings > API and Webhooks"
            ),
            leadsquared_secret_key=get.required(
                "LEADSQUARED_SECRET_KEY", "LeadSquared > My Profile > Settings > API and Webhooks"
            ),
            rate_limit=_rate_limit(get.optional("LEADSQUARED_RATE_LIMIT") or DEFAULT_RATE_LIMIT),
            database_url=database_url,
            port=_port(get.optional("PORT") or "3000"),
            web_concurrency=_workers(get.optional("WEB_CONCURRENCY") or "2"),
            log_level=_log_level(get.optional("LOG_LEVEL") or "INFO"),
            allowed_users=_id_list(get.optional("LOGSALE_ALLOWED_USERS")),
            admins=_id_list(get.optional("LOGSALE_ADMINS")),
            retry_horizon_seconds=_positive_float(
                "LOGSALE_RETRY_HORIZON_SECONDS", get.optional("LOGSALE_RETRY_HORIZON_SECONDS") or "86400"
            ),
            leadsquared_timeout=_positive_float("LEADSQUARED_TIMEOUT", get.optional("LEADSQUARED_TIMEOUT") or "20"),
            lease_seconds=_positive_float("LOGSALE_LEASE_SECONDS", get.optional("LOGSALE_LEASE_SECONDS") or "60"),
            metrics_token=get.optional("LOGSALE_METRICS_TOKEN"),
            home_refresh_seconds=_positive_float(
                "LOGSALE_HOME_REFRESH_SECONDS", get.optional("LOGSALE_HOME_REFRESH_SECONDS") or "5"
            ),
            notify_backoff_seconds=_positive_float(
                "LOGSALE_NOTIFY_BACKOFF_SECONDS", get.optional("LOGSALE_NOTIFY_BACKOFF_SECONDS") or "2"
            ),
            notify_horizon_seconds=_positive_float(
                "LOGSALE_NOTIFY_HORIZON_SECONDS", get.optional("LOGSALE_NOTIFY_HORIZON_SECONDS") or "86400"
            ),
        )


class _Reader:
    def __init__(self, env: Mapping[str, str]):
        self._env = env

    def optional(self, name: str) -> str | None:
        value = self._env.get(name)
        return value.strip() if value and value.strip() else None

    def required(self, name: str, hint: str) -> str:
        value = self.optional(name)
        if value is None:
            raise ConfigError(f"{name} is not set: set it to {hint}.")
        return value


def _slack_api_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
        raise ConfigError(f"SLACK_API_URL must be a URL like {DEFAULT_SLACK_API_URL}, not {_shown(value, 60)!r}.")
    return value if value.endswith("/") else value + "/"


def _leadsquared_base_url(value: str) -> str:
    try:
        return base_url_from_host(value)
    except ValueError:
        raise ConfigError(
            "LEADSQUARED_HOST must be a host like api-in21.leadsquared.com "
            f"or a URL like https://api-in21.leadsquared.com, not {_shown(value, 60)!r}."
        ) from None


def _shown(value: str, limit: int) -> str:
    """A bad URL/host for an error message, minus any query, fragment or user:password@."""
    text = re.split(r"[?#]", value, maxsplit=1)[0]
    text = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/]*@", r"\1", text)
    return text[:limit]


def _rate_limit(value: str) -> RateLimit:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", value)
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise ConfigError(
            f"LEADSQUARED_RATE_LIMIT must be calls/seconds like 25/5 (your plan's limit), not {value[:30]!r}."
        )
    return RateLimit(int(match[1]), float(match[2]))


def _database_url(value: str) -> str:
    if not re.match(r"^(sqlite|postgres(ql)?)(\+\w+)?://", value):
        # Show the scheme only: the rest may hold a password.
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]{0,19})://", value)
        shown = f"{scheme[1]!r}://…" if scheme else "that value (it has no scheme://)"
        raise ConfigError(f"DATABASE_URL must be sqlite:///path.db or postgresql://user@host/db, not {shown}")
    # Heroku hands out postgres://; SQLAlchemy wants postgresql+psycopg:// (and knows no "postgres+driver").
    return re.sub(r"^postgres(?:ql)?(\+\w+)?://", lambda m: f"postgresql{m[1] or '+psycopg'}://", value)


def _port(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", value) or not 0 < int(value) < 65536:  # not isdigit(): "²"
        raise ConfigError(f"PORT must be a TCP port number like 3000, not {value[:20]!r}.")
    return int(value)


def _workers(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,3}", value) or int(value) < 1:
        raise ConfigError(f"WEB_CONCURRENCY must be a number of worker processes like 2, not {value[:20]!r}.")
    return int(value)


def _log_level(value: str) -> str:
    if value.upper() not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {value[:20]!r}.")
    return value.upper()


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise ConfigError(f"{name} must be a positive number of seconds, not {value[:20]!r}.")
    return number


def _id_list(value: str | None) -> frozenset[str]:
    """Comma-separated Slack user IDs or emails; emails compared lower-case."""
    if not value:
        return frozenset()
    items = (item.strip() for item in value.split(","))
    return frozenset(item.lower() if "@" in item else item.upper() for item in items if item)
