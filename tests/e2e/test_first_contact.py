"""First contact: starting the bot with Slack unreachable, a wrong app token, or SQLite on a
Heroku dyno ends with one line naming the cause and the fix — no traceback."""

from __future__ import annotations

import sys

import pytest

from tests.e2e.check_helpers import run
from tests.e2e.conftest import SECRETS, deployment_env
from tests.e2e.server import free_port, procfile_web_command

APP_TOKEN = "xapp-1-A0LOGSALE-1234-e2eapptoken"


def last_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def assert_one_line_ending(result) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    assert "will be unused" not in output, output  # Bolt's warning about App(client=…, token=…)
    assert not any(secret in output for secret in (*SECRETS, APP_TOKEN)), output
    assert last_line(result).startswith("logsale: "), output


@pytest.mark.parametrize("token", ["xapp-1-A0LOGSALE-9999-revoked", "xoxb-e2e-bot-token-123"])
def test_a_wrong_app_token_says_which_token_and_how_to_make_one(slack, leadsquared, sqlite_url, token):
    slack.app_token = APP_TOKEN
    env = deployment_env(slack, leadsquared, sqlite_url, SLACK_APP_TOKEN=token)
    result = run([sys.executable, "-m", "bot"], env)
    assert_one_line_ending(result)
    line = last_line(result)
    assert "SLACK_APP_TOKEN" in line and "xapp-" in line and "connections:write" in line
    assert slack.calls_to("apps.connections.open")  # it really asked Slack


def test_slack_unreachable_says_so_and_names_slack_api_url(slack, leadsquared, sqlite_url):
    closed = f"http://127.0.0.1:{free_port()}/api/"
    env = deployment_env(slack, leadsquared, sqlite_url, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=closed)
    result = run([sys.executable, "-m", "bot"], env)
    assert_one_line_ending(result)
    line = last_line(result)
    assert "can't reach Slack" in line and closed in line and "SLACK_API_URL" in line


def test_sqlite_on_a_heroku_dyno_stops_start_up_with_the_fix(slack, leadsquared, sqlite_url):
    env = deployment_env(slack, leadsquared, sqlite_url, DYNO="web.1", PORT=str(free_port()))
    result = run(["bash", "-c", procfile_web_command()], env, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    [line] = [line for line in output.splitlines() if "configuration error" in line]
    assert "heroku addons:create heroku-postgresql" in line
