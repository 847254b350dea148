"""The CPU, memory and start-up baseline: a bare Bolt app, Bolt's defaults, whose listeners for
the three requests the bot acks (/logsale, the lead search, the modal's submission) only ack.

gunicorn -c python:bench.gunicorn_conf bench.bare_app:application
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot import thread_names

app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    ),
    # Bolt's default pool (5 threads), its threads named as the bot's are, for bench/run.py.
    listener_executor=ThreadPoolExecutor(5, initializer=thread_names.namer(thread_names.LISTENER)),
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
