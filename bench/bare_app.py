"""The CPU, memory and start-up baseline: a bare Bolt app, Bolt's defaults, whose listeners for
the three requests the bot acks (/logsale, the lead search, the modal's submission) only ack.

gunicorn -c python:bench.gunicorn_conf bench.bare_app:application
"""

from __future__ import annotations

import os

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    ),
)


@app.command("/logsale")
def noop(ack):
    ack()


@app.options("lead")
def no_options(ack):
    ack(options=[])


@app.view("logsale")
def accept(ack):
    ack()


_slack = SlackRequestHandler(app)


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    return _slack(environ, start_response)
