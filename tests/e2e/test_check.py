"""`python -m bot check`, and start-up with a bad setting: what the deploying admin sees."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.e2e.conftest import ACCESS_KEY, SECRETS, deployment_env
from tests.e2e.server import ROOT, free_port, procfile_web_command


def run(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADSQUARED_", "LOGSALE_"))}
    clean.update(env)
    clean["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{clean.get('PATH', '')}"
    return subprocess.run(args, env=clean, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_check_passes_and_names_the_leadsquared_host(slack, leadsquared, sqlite_url):
    result = run([sys.executable, "-m", "bot", "check"], deployment_env(slack, leadsquared, sqlite_url))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "api-in21.leadsquared.com" in result.stdout and "All good." in result.stdout


def test_check_fails_with_the_fix_for_bad_keys_and_a_bad_token(slack, leadsquared, sqlite_url):
    env = deployment_env(
        slack, leadsquared, sqlite_url, LEADSQUARED_SECRET_KEY="wrong-secret", SLACK_BOT_TOKEN="xoxb-bad"
    )
    result = run([sys.executable, "-m", "bot", "check"], env)
    assert result.returncode == 1
    assert "SLACK_BOT_TOKEN" in result.stdout and "admin" in result.stdout
    assert "wrong-secret" not in result.stdout + result.stderr and ACCESS_KEY not in result.stdout


def test_a_missing_setting_stops_start_up_with_one_line_naming_it(slack, leadsquared, sqlite_url):
    env = deployment_env(slack, leadsquared, sqlite_url)
    del env["LEADSQUARED_ACCESS_KEY"]
    env["PORT"] = str(free_port())
    result = run(["bash", "-c", procfile_web_command()], env, timeout=60)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if "configuration error" in line]
    assert lines and "LEADSQUARED_ACCESS_KEY is not set" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not any(secret in result.stdout + result.stderr for secret in SECRETS)


def test_a_malformed_rate_limit_stops_python_m_bot(slack, leadsquared, sqlite_url):
    env = deployment_env(slack, leadsquared, sqlite_url, LEADSQUARED_RATE_LIMIT="lots")
    result = run([sys.executable, "-m", "bot"], env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "LEADSQUARED_RATE_LIMIT" in result.stderr
