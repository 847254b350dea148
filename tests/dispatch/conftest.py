"""Bolt dispatch in-process: the real WSGI app, signed requests, stand-ins over HTTP."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest

from bot.config import Settings
from bot.web import create_wsgi_app
from tests import slack_requests as sr
from tests.standins.leadsquared import LeadSquaredStandIn
from tests.standins.slack import SlackStandIn

SIGNING_SECRET = "dispatch-signing-secret"
BOT_TOKEN = "xoxb-dispatch-token"


@dataclass
class WsgiResponse:
    status: int
    text: str

    def json(self):
        return json.loads(self.text)


@dataclass
class InProcessBot:
    application: object
    slack: SlackStandIn
    leadsquared: LeadSquaredStandIn
    lead_id: str

    @property
    def services(self):
        return self.application.services

    def request(
        self, body: str, *, content_type="application/x-www-form-urlencoded", headers=None, path="/slack/events"
    ):
        raw = body.encode("utf-8", "surrogatepass")
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(raw),
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": content_type,
        }
        for name, value in (headers if headers is not None else sr.sign(SIGNING_SECRET, body)).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        captured = {}

        def start_response(status, response_headers, exc_info=None):
            captured["status"] = int(status.split()[0])

        chunks = self.application(environ, start_response)
        text = b"".join(chunks).decode("utf-8", "replace")
        return WsgiResponse(captured["status"], text)

    def payload(self, payload: dict) -> WsgiResponse:
        return self.request(sr.form_body_for_payload(payload))


@pytest.fixture
def in_process_bot(tmp_path):
    with SlackStandIn(bot_token=BOT_TOKEN) as slack, LeadSquaredStandIn("dispatch-ak", "dispatch-sk") as lsq:
        slack.add_user("U123", email="priya@acme.in", tz="Asia/Kolkata")
        slack.add_channel("C123", "sales")
        lead_id = lsq.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in", phone="9876543210")
        settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "LEADSQUARED_HOST": lsq.url,
                "LEADSQUARED_ACCESS_KEY": "dispatch-ak",
                "LEADSQUARED_SECRET_KEY": "dispatch-sk",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'dispatch.db'}",
            },
            load_dotenv_file=False,
        )
        # The dispatcher stays off: these tests look at what the acks do and what gets queued.
        application = create_wsgi_app(settings, start_dispatcher=False)
        yield InProcessBot(application, slack, lsq, lead_id)
        application.services.dispatcher.stop()
