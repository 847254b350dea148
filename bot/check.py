"""`python -m bot check`: is every setting right, before a salesperson finds out?

Checks the Slack token (auth.test), the LeadSquared keys (UserByAccessKey.Get, which
answers on any host and names the right one) and the database. Exits non-zero with the
fix when something is wrong. Prints no secret.
"""

from __future__ import annotations

from urllib.parse import urlparse

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import ConfigError, Settings
from bot.delivery.outbox import Outbox
from bot.leadsquared.client import LeadSquaredClient, key_owner_label
from bot.leadsquared.errors import LeadSquaredError, explain


def run_check(settings: Settings | None = None, out=print) -> int:
    try:
        settings = settings or Settings.from_env()
    except ConfigError as error:
        out(f"FAIL configuration: {error}")
        return 2
    problems = 0

    try:
        auth = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10).auth_test()
        out(f"ok   Slack: bot {auth.get('user')} in workspace {auth.get('team')}")
    except SlackApiError as error:
        problems += 1
        code = error.response.get("error")
        out(f"FAIL Slack said {code}: check SLACK_BOT_TOKEN (Bot User OAuth Token, xoxb-…) and reinstall the app.")
    except Exception as error:
        problems += 1
        out(f"FAIL Slack unreachable at {settings.slack_api_url} ({type(error).__name__}): check SLACK_API_URL.")

    client = LeadSquaredClient(
        settings.leadsquared_base_url, settings.leadsquared_access_key, settings.leadsquared_secret_key
    )
    try:
        user = client.user_by_access_key()
        right_host = ((user.get("LSQCommonServiceURLs") or {}).get("api") or "").strip()
        configured = urlparse(settings.leadsquared_base_url).netloc
        who = key_owner_label(user)
        out(f"ok   LeadSquared: keys belong to {who}; their API host is {right_host or 'not stated'}")
        if right_host and right_host != configured and not configured.startswith(("127.", "localhost")):
            problems += 1
            out(
                f"FAIL LEADSQUARED_HOST is {configured} but these keys belong to {right_host}: "
                f"set LEADSQUARED_HOST={right_host}"
            )
    except LeadSquaredError as error:
        problems += 1
        out(f"FAIL LeadSquared: {explain(error)}")

    try:
        outbox = Outbox.from_url(settings.database_url)
        counts = outbox.count_by_state()
        out(f"ok   database: {outbox.engine.url.render_as_string(hide_password=True)} {counts or '(empty)'}")
    except Exception as error:
        problems += 1
        out(f"FAIL database ({type(error).__name__}): check DATABASE_URL.")

    out("All good." if not problems else f"{problems} problem(s) found.")
    return 1 if problems else 0
