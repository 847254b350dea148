"""End-to-end: the real server (the Procfile's command) on a free port, talking over HTTP
to stand-in Slack and LeadSquared servers on 127.0.0.1."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from tests import slack_requests as sr
from tests.e2e.server import ServerProcess, start_server
from tests.standins.leadsquared import LeadSquaredStandIn
from tests.standins.slack import SlackStandIn

SIGNING_SECRET = "e2e-signing-secret-8f742231b10e"
BOT_TOKEN = "xoxb-e2e-bot-token-123"
ACCESS_KEY = "u$r-e2e-access-key-7c1d"
SECRET_KEY = "e2e-secret-key-5b9a0f"
SECRETS = (SIGNING_SECRET, BOT_TOKEN, ACCESS_KEY, SECRET_KEY)

USER = "U0PRIYA"
CHANNEL = "C0SALES"


@dataclass
class Deployment:
    """One running bot with its stand-ins and a salesperson to drive it."""

    server: ServerProcess
    slack: SlackStandIn
    leadsquared: LeadSquaredStandIn
    lead_id: str
    env: dict = field(default_factory=dict)

    # --- what a salesperson does -----------------------------------------------------

    def slash(self, text: str = "", *, user_id: str = USER, channel_id: str = CHANNEL, channel_name: str = "sales"):
        trigger = self.slack.new_trigger_id()
        response_url = self.slack.new_response_url(channel_id=channel_id, user_id=user_id)
        body = sr.slash_command_body(
            text=text,
            user_id=user_id,
            channel_id=channel_id,
            channel_name=channel_name,
            trigger_id=trigger,
            response_url=response_url,
        )
        return sr.post_signed(self.server.events_url, body, SIGNING_SECRET), response_url

    def open_modal(self, text: str = "", **kwargs) -> dict:
        """Type /logsale and return the view Slack shows (after any views.update)."""
        before = len(self.slack.calls_to("views.open"))
        response, _ = self.slash(text, **kwargs)
        assert response.status_code == 200, response.text
        self.slack.wait_for("views.open", count=before + 1)
        call = self.slack.calls_to("views.open")[-1]
        view = call.args["view"]
        opened_id = call.response["view"]["id"]
        # The email pre-fill may arrive through views.update right after.
        deadline = time.time() + 2
        while time.time() < deadline:
            updates = [c for c in self.slack.calls_to("views.update") if c.args.get("view_id") == opened_id]
            if updates:
                view = updates[-1].args["view"]
                break
            if json.loads(view.get("private_metadata") or "{}").get("tz"):
                break
            time.sleep(0.02)
        view = dict(view, id=opened_id)
        return view

    def submit(self, view: dict, *, user_id: str = USER, **values) -> requests.Response:
        """Press Log sale with the given field values (plain strings by block_id).

        lead and product_sku are external_selects: their value is the chosen option's value
        (a ProspectId, or the typed email/phone offered as "Use …"; a SKU); "" = nothing chosen.
        """
        state = {
            "lead": {"lead": sr.external_select_state(values.get("lead", self.lead_id) or None)},
            "product_sku": {"product_sku": sr.external_select_state(values.get("product_sku", "SKU-PRO") or None)},
            "status": {"status": sr.static_select_state(values.get("status", "Won"))},
            "revenue": {"revenue": sr.number_state(values.get("revenue", "12000"))},
            "sales_owner": {"sales_owner": sr.email_state(values.get("sales_owner", "priya@acme.in"))},
            "sales_date": {"sales_date": sr.plain_text_state(values.get("sales_date", "2026-11-26 15:00"))},
        }
        payload = sr.view_submission_payload(
            values=state,
            view_id=view.get("id") or f"V{uuid.uuid4().hex[:10].upper()}",
            private_metadata=view.get("private_metadata", ""),
            user_id=user_id,
        )
        return sr.post_signed(self.server.events_url, sr.form_body_for_payload(payload), SIGNING_SECRET)

    def log_sale(self, **values) -> requests.Response:
        return self.submit(self.open_modal(), **values)

    def response_posts(self, response_type: str | None = None) -> list:
        posts = self.slack.calls_to("response_url")
        return [c for c in posts if response_type is None or c.args.get("response_type") == response_type]

    def wait_for_response(self, response_type: str, count: int = 1, timeout: float = 15) -> list:
        return self.slack.wait_for(
            "response_url",
            count=count,
            timeout=timeout,
            predicate=lambda c: c.args.get("response_type") == response_type,
        )

    def everything_said(self) -> str:
        """All the bot sent to Slack and all it logged: for checking nothing leaks."""
        said = json.dumps([c.args for c in self.slack.calls], default=str)
        return said + self.server.logs()


@pytest.fixture
def slack():
    standin = SlackStandIn(bot_token=BOT_TOKEN).start()
    standin.add_user(USER, email="priya@acme.in", tz="Asia/Kolkata", locale="en-IN", real_name="Priya Shah")
    standin.add_user("U0OTHER", email="other@acme.in", tz="America/New_York", locale="en-US", real_name="Olly")
    standin.add_user("U0ADMIN", email="boss@acme.in", tz="Asia/Kolkata", real_name="Boss")
    standin.add_channel(CHANNEL, "sales")
    standin.add_channel("C0PAYLOAD", "payload-team")
    yield standin
    standin.stop()


@pytest.fixture
def leadsquared():
    standin = LeadSquaredStandIn(access_key=ACCESS_KEY, secret_key=SECRET_KEY).start()
    standin.add_user("priya@acme.in", first_name="Priya", last_name="Shah")
    standin.add_product("SKU-PRO", "Pro plan")
    standin.add_product("PAYLOAD-X", "Payload add-on")
    yield standin
    standin.stop()


def deployment_env(slack: SlackStandIn, leadsquared: LeadSquaredStandIn, database_url: str, **extra) -> dict:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "LEADSQUARED_HOST": leadsquared.url,
        "LEADSQUARED_ACCESS_KEY": ACCESS_KEY,
        "LEADSQUARED_SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "DEBUG",  # the strictest case for "no key in any log line"
        "LOGSALE_ADMINS": "U0ADMIN",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def deploy(slack, leadsquared, tmp_path, sqlite_url):
    """deploy(**env) starts a server; all are stopped at the end of the test."""
    started: list[ServerProcess] = []

    def _deploy(database_url: str | None = None, **extra) -> Deployment:
        env = deployment_env(slack, leadsquared, database_url or sqlite_url, **extra)
        server = start_server(env, tmp_path / f"server-{len(started)}.log")
        started.append(server)
        lead_id = leadsquared.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in", phone="9876543210")
        return Deployment(server, slack, leadsquared, lead_id, env)

    yield _deploy
    for server in started:
        server.stop()


@pytest.fixture
def bot(deploy) -> Deployment:
    return deploy()
