"""Settings.from_env: one-line ConfigErrors naming the variable, sane defaults, no secrets shown."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, RateLimit, Settings

BOT_TOKEN = "xoxb-1111-2222-SeCrEtBoTtOkEn"
SIGNING_SECRET = "8f1d2c3b4a5e6f7a8b9c0d1e2f3a4b5c"
APP_TOKEN = "xapp-1-A111-2222-SeCrEtApPtOkEn"
ACCESS_KEY = "u$r1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6"
SECRET_KEY = "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
DB_PASSWORD = "hunter2-db-pa55"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, ACCESS_KEY, SECRET_KEY)

REQUIRED = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "LEADSQUARED_HOST": "api-in21.leadsquared.com",
    "LEADSQUARED_ACCESS_KEY": ACCESS_KEY,
    "LEADSQUARED_SECRET_KEY": SECRET_KEY,
}


def env(**changes: str | None) -> dict[str, str]:
    data = {**REQUIRED, "SLACK_APP_TOKEN": APP_TOKEN}
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def load(**changes: str | None) -> Settings:
    return Settings.from_env(env(**changes), load_dotenv_file=False)


def config_error(**changes: str | None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(**changes)
    return str(caught.value)


def assert_one_safe_line(message: str, variable: str) -> None:
    assert message.strip(), "empty ConfigError"
    assert "\n" not in message and "\r" not in message, f"not one line: {message!r}"
    assert message.isprintable(), f"hidden characters: {message!r}"
    assert variable in message
    for secret in (*SECRETS, DB_PASSWORD):
        assert secret not in message


# --- required variables ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_missing_required_variable_is_named(name):
    assert_one_safe_line(config_error(**{name: None}), name)


@pytest.mark.parametrize("name", sorted(REQUIRED))
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_required_variable_counts_as_missing(name, blank):
    message = config_error(**{name: blank})
    assert_one_safe_line(message, name)
    assert "not set" in message


def test_the_missing_message_says_where_to_find_the_value():
    assert "xoxb" in config_error(SLACK_BOT_TOKEN=None)
    assert "Signing Secret" in config_error(SLACK_SIGNING_SECRET=None)
    assert "leadsquared.com" in config_error(LEADSQUARED_HOST=None)
    assert "API and Webhooks" in config_error(LEADSQUARED_SECRET_KEY=None)


def test_only_the_given_mapping_is_read(monkeypatch):
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        Settings.from_env({}, load_dotenv_file=False)


# --- malformed values -----------------------------------------------------------------------

MALFORMED = [
    *[("LEADSQUARED_RATE_LIMIT", v) for v in ["25", "abc", "0/5", "25/0", "-1/5", "25/5/5", "25 per 5", "1e3/5"]],
    *[
        ("DATABASE_URL", v)
        for v in [
            "mysql://user:" + DB_PASSWORD + "@db/x",
            "logsale.db",
            "user:" + DB_PASSWORD + "@db.example.com/x",
            "postgresql//user:" + DB_PASSWORD + "@db/x",
            "SQLITE:///x.db",
        ]
    ],
    *[("PORT", v) for v in ["abc", "0", "65536", "-1", "3000.0", "²", "٣٠٠٠x", "1" * 30, "30 00"]],
    *[("LOG_LEVEL", v) for v in ["verbose", "10", "TRACE", "info!"]],
    *[
        ("SLACK_API_URL", v)
        for v in ["slack.com/api", "ftp://slack.com/api/", "https://", "http://a b/api", "https://x.com/ a"]
    ],
    *[
        ("LEADSQUARED_HOST", v)
        for v in [
            "api in21.leadsquared.com",
            "https://api-in21.leadsquared.com/v2/",
            "ftp://api-in21.leadsquared.com",
            "https://api-in21.leadsquared.com:99999",
            "-bad-.leadsquared.com/",
        ]
    ],
    *[("LOGSALE_RETRY_HORIZON_SECONDS", v) for v in ["abc", "0", "-5", "nan"]],
    *[("LOGSALE_LEASE_SECONDS", v) for v in ["soon", "0", "-1"]],
    *[("LEADSQUARED_TIMEOUT", v) for v in ["never", "0", "-3", "nan"]],
    *[("WEB_CONCURRENCY", v) for v in ["two", "0", "-1", "2.5", "²", "1000"]],
]


@pytest.mark.parametrize(("name", "value"), MALFORMED)
def test_a_malformed_variable_gives_one_line_naming_it(name, value):
    assert_one_safe_line(config_error(**{name: value}), name)


def test_rate_limit_message_gives_an_example():
    assert "25/5" in config_error(LEADSQUARED_RATE_LIMIT="fast")


def test_log_level_message_lists_the_levels():
    message = config_error(LOG_LEVEL="verbose")
    for level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        assert level in message


@pytest.mark.parametrize(
    "host",
    [
        f"api-in21.leadsquared.com?accessKey={ACCESS_KEY}&secretKey={SECRET_KEY}",
        f"https://api-in21.leadsquared.com/v2/Leads.Get?accessKey={ACCESS_KEY}&secretKey={SECRET_KEY}",
        f"https://{ACCESS_KEY}:{SECRET_KEY}@api-in21.leadsquared.com",
        f"{SECRET_KEY}@api-in21.leadsquared.com/x",
    ],
)
def test_a_host_pasted_with_keys_in_it_does_not_echo_the_keys(host):
    # LeadSquared's docs show URLs with ?accessKey=…&secretKey=…; people paste those.
    assert_one_safe_line(config_error(LEADSQUARED_HOST=host), "LEADSQUARED_HOST")


@pytest.mark.parametrize(
    "url",
    [f"https://slack.com/api/?token={BOT_TOKEN} x", f"https://user:{SIGNING_SECRET}@slack.com/ api"],
)
def test_a_bad_slack_api_url_does_not_echo_credentials(url):
    assert_one_safe_line(config_error(SLACK_API_URL=url), "SLACK_API_URL")


def test_a_bad_database_url_shows_at_most_its_scheme():
    message = config_error(DATABASE_URL=f"mysql://admin:{DB_PASSWORD}@db.example.com/sales")
    assert "'mysql'" in message
    assert "admin" not in message and "db.example.com" not in message


def test_errors_after_the_secrets_are_read_still_do_not_show_them():
    for name, value in MALFORMED:
        message = config_error(**{name: value})
        for secret in SECRETS:
            assert secret not in message


# --- defaults and normalisation ---------------------------------------------------------------


def test_defaults():
    settings = load(SLACK_APP_TOKEN=None)
    assert settings.rate_limit == RateLimit(25, 5.0)
    assert str(settings.rate_limit) == "25/5"
    assert settings.database_url == "sqlite:///logsale.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.log_level == "INFO"
    assert settings.slack_app_token is None
    assert settings.allowed_users == frozenset()
    assert settings.admins == frozenset()
    assert settings.retry_horizon_seconds == 86400
    assert settings.lease_seconds == 60
    assert settings.leadsquared_timeout == 20
    assert settings.web_concurrency == 2  # gunicorn's default in bot/gunicorn_conf.py too


def test_web_concurrency_is_read():
    assert load(WEB_CONCURRENCY=" 3 ").web_concurrency == 3


def test_values_are_read_and_trimmed():
    settings = load(
        LEADSQUARED_RATE_LIMIT=" 10 / 2.5 ",
        PORT=" 8080 ",
        LOG_LEVEL="debug",
        SLACK_API_URL="http://127.0.0.1:9000/api",
        SLACK_BOT_TOKEN=f"  {BOT_TOKEN}\n",
        LOGSALE_RETRY_HORIZON_SECONDS="3600",
        LOGSALE_LEASE_SECONDS="1.5",
        LEADSQUARED_TIMEOUT="7.5",
    )
    assert settings.rate_limit == RateLimit(10, 2.5)
    assert str(settings.rate_limit) == "10/2.5"
    assert settings.port == 8080
    assert settings.log_level == "DEBUG"
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"
    assert settings.slack_bot_token == BOT_TOKEN
    assert settings.retry_horizon_seconds == 3600
    assert settings.lease_seconds == 1.5
    assert settings.leadsquared_timeout == 7.5


@pytest.mark.parametrize(
    ("host", "base_url"),
    [
        ("api-in21.leadsquared.com", "https://api-in21.leadsquared.com"),
        ("  api-us11.leadsquared.com  ", "https://api-us11.leadsquared.com"),
        ("https://api-in21.leadsquared.com", "https://api-in21.leadsquared.com"),
        ("https://api-in21.leadsquared.com/", "https://api-in21.leadsquared.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_leadsquared_host_becomes_a_base_url(host, base_url):
    assert load(LEADSQUARED_HOST=host).leadsquared_base_url == base_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/sales", "postgresql+psycopg://u:p@db:5432/sales"),
        ("postgresql://u:p@db/sales", "postgresql+psycopg://u:p@db/sales"),
        ("postgresql+psycopg://u@db/sales", "postgresql+psycopg://u@db/sales"),
        ("postgres+psycopg://u@db/sales", "postgresql+psycopg://u@db/sales"),
        ("sqlite:////var/lib/logsale.db", "sqlite:////var/lib/logsale.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_database_url_is_made_sqlalchemy_ready(url, expected):
    assert load(DATABASE_URL=url).database_url == expected


def test_allowed_users_and_admins_are_parsed():
    settings = load(
        LOGSALE_ALLOWED_USERS=" u123abc , Priya@Acme.IN ,, W999XYZ ,",
        LOGSALE_ADMINS="UADMIN1,Boss@Acme.in",
    )
    assert settings.allowed_users == frozenset({"U123ABC", "priya@acme.in", "W999XYZ"})
    assert settings.admins == frozenset({"UADMIN1", "boss@acme.in"})


@pytest.mark.parametrize("value", ["", "  ", ",", " , ,"])
def test_empty_user_lists_mean_nobody_listed(value):
    settings = load(LOGSALE_ALLOWED_USERS=value, LOGSALE_ADMINS=value)
    assert settings.allowed_users == frozenset()
    assert settings.admins == frozenset()


def test_secrets_lists_every_secret_for_the_log_filter():
    assert set(load().secrets) == set(SECRETS)
    assert set(load(SLACK_APP_TOKEN=None).secrets) == set(SECRETS) - {APP_TOKEN}


# --- no secret in a repr -----------------------------------------------------------------------


def test_the_repr_of_settings_shows_no_secret():
    settings = load(DATABASE_URL=f"postgresql://logsale:{DB_PASSWORD}@db.example.com/sales")
    for text in (repr(settings), str(settings)):
        for secret in (*SECRETS, DB_PASSWORD):
            assert secret not in text
    assert "api-in21.leadsquared.com" in repr(settings)  # still useful for debugging
