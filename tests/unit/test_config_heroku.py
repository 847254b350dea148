"""On Heroku (DYNO is set) SQLite would lose every queued sale at the next restart: refuse it."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings
from tests.unit.test_config import env


@pytest.mark.parametrize(
    "database_url", [None, "sqlite:///logsale.db", "sqlite:////app/data.db", "sqlite+pysqlite:///x.db"]
)
def test_sqlite_on_a_dyno_stops_start_up_with_the_fix(database_url):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env(DYNO="web.1", DATABASE_URL=database_url), load_dotenv_file=False)
    message = str(caught.value)
    assert "\n" not in message
    assert "DATABASE_URL" in message and "heroku addons:create heroku-postgresql" in message


def test_postgres_on_a_dyno_starts():
    settings = Settings.from_env(
        env(DYNO="web.1", DATABASE_URL="postgres://u:p@db.example:5432/d"), load_dotenv_file=False
    )
    assert settings.database_url.startswith("postgresql+psycopg://")


def test_sqlite_off_heroku_is_fine():
    assert Settings.from_env(env(DYNO=None), load_dotenv_file=False).database_url.startswith("sqlite")
