"""ProvideTools: every listener, plain or lazy, finds the one ListenerTools in Bolt's context.
A real Bolt App, signed requests, the stand-in Slack for auth.test."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_bolt import App, BoltContext
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.listeners.tools import ListenerTools, ProvideTools, tools_of
from tests import slack_requests as sr
from tests.standins.slack import SlackStandIn

SECRET = "tools-signing-secret"
TOKEN = "xoxb-tools-token"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def tools():
    background = ThreadPoolExecutor(1, "tools-test")  # a real pool: it can't be deep-copied
    yield ListenerTools(
        **{name: object() for name in ListenerTools.__dataclass_fields__ if name != "background"},
        background=background,
    )
    background.shutdown(wait=True)


@pytest.fixture
def app(tools):
    with SlackStandIn(bot_token=TOKEN) as slack:
        app = App(
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=slack.api_url),
            token_verification_enabled=False,
        )
        app.use(ProvideTools(tools))
        yield app


def command(app: App, text: str = "") -> None:
    body = sr.slash_command_body(
        command="/tools", text=text, trigger_id="1.2.3", response_url="https://hooks.slack.com/commands/T1/1/x"
    )
    response = app.dispatch(BoltRequest(body=body, headers={**sr.sign(SECRET, body), "Content-Type": FORM}))
    assert response.status == 200


def test_a_listener_finds_the_tools_in_its_context(app, tools):
    seen = []

    @app.command("/tools")
    def handle(ack, context: BoltContext):
        seen.append(tools_of(context))
        ack()

    command(app)
    command(app)
    assert len(seen) == 2 and all(found is tools for found in seen)


def test_a_lazy_listener_gets_the_same_tools_not_a_copy(app, tools):
    seen = []
    done = threading.Event()

    def ack_now(ack):
        ack()

    def later(context: BoltContext):
        seen.append(context.get("logsale"))
        done.set()

    app.command("/tools")(ack=ack_now, lazy=[later])
    command(app)
    assert done.wait(10)
    assert seen[0] is tools


def test_after_ack_runs_the_job_with_its_arguments_on_the_background_pool(tools):
    ran = []
    done = threading.Event()

    def job(a, b):
        ran.append((a, b, threading.current_thread().name))
        done.set()

    tools.after_ack(job, 1, "two")
    assert done.wait(10)
    assert ran[0][:2] == (1, "two") and ran[0][2].startswith("tools-test")


def test_after_ack_logs_a_failing_job_instead_of_losing_it_in_a_future(tools, caplog):
    def refresh_home():
        raise ValueError("database gone")

    tools.after_ack(refresh_home)
    tools.background.submit(lambda: None).result(10)  # one thread: the job has run
    [record] = [r for r in caplog.records if "failed after its ack" in r.getMessage()]
    assert "refresh_home" in record.getMessage() and record.exc_info[0] is ValueError


def test_after_ack_on_a_pool_shut_down_logs_and_does_not_raise(tools, caplog):
    tools.background.shutdown(wait=True)
    tools.after_ack(print, "never")
    assert any("not started: the process is stopping" in r.getMessage() for r in caplog.records)
