"""The naive baseline: /logsale written the way most Bolt examples write it.

A bare ``App`` with Bolt's defaults (5 listener threads, ``process_before_response=False``,
token verification with ``auth.test`` at start-up, a 3-second ack timeout). The view listener
posts the sale to LeadSquared's Create with ``requests`` *inside* the listener and acks after
LeadSquared answers; there is no queue, no rate limiting and no retry. The lead search asks
LeadSquared's quick search on every keystroke, uncached.

Served like the bot (see bench/gunicorn_conf.py):

    gunicorn -c python:bench.gunicorn_conf bench.naive_app:application

Environment: the bot's variable names (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL,
LEADSQUARED_HOST, LEADSQUARED_ACCESS_KEY, LEADSQUARED_SECRET_KEY).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import requests
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot import thread_names

LEADSQUARED = os.environ["LEADSQUARED_HOST"].rstrip("/")
if "://" not in LEADSQUARED:
    LEADSQUARED = "https://" + LEADSQUARED
KEYS = {
    "x-LSQ-AccessKey": os.environ["LEADSQUARED_ACCESS_KEY"],
    "x-LSQ-SecretKey": os.environ["LEADSQUARED_SECRET_KEY"],
}

app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    ),
    # Bolt's default pool (5 threads), its threads named as the bot's are, for bench/run.py.
    listener_executor=ThreadPoolExecutor(5, initializer=thread_names.namer(thread_names.LISTENER)),
)


def _input(block_id: str, element: dict, label: str) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": block_id, **element},
    }


def _modal() -> dict:
    statuses = [{"text": {"type": "plain_text", "text": s}, "value": s} for s in ("Open", "Won", "Lost")]
    return {
        "type": "modal",
        "callback_id": "logsale",
        "title": {"type": "plain_text", "text": "Log a sale"},
        "submit": {"type": "plain_text", "text": "Log sale"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("lead", {"type": "external_select", "min_query_length": 2}, "Lead"),
            _input("product_sku", {"type": "plain_text_input"}, "Product SKU"),
            _input("status", {"type": "static_select", "options": statuses}, "Status"),
            _input("revenue", {"type": "number_input", "is_decimal_allowed": True}, "Revenue"),
            _input("sales_owner", {"type": "email_text_input"}, "Sales owner"),
            _input("sales_date", {"type": "plain_text_input"}, "Sales date"),
        ],
    }


@app.command("/logsale")
def open_modal(ack, body, client):
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=_modal())


@app.options("lead")
def search_leads(ack, payload):
    response = requests.get(
        f"{LEADSQUARED}/v2/LeadManagement.svc/Leads.GetByQuickSearch",
        params={"key": payload.get("value", "")},
        headers=KEYS,
        timeout=10,
    )
    leads = response.json() if response.ok else []
    options = [
        {
            "text": {"type": "plain_text", "text": f"{lead.get('FirstName') or ''} {lead.get('LastName') or ''}"[:75]},
            "value": lead["ProspectID"],
        }
        for lead in leads[:100]
    ]
    ack(options=options)


def _value(values: dict, block_id: str) -> str:
    element = next(iter(values[block_id].values()))
    option = element.get("selected_option")
    return option["value"] if option else (element.get("value") or "")


@app.view("logsale")
def log_sale(ack, view):
    values = view["state"]["values"]
    body = {
        "ProspectId": _value(values, "lead"),
        "ProductSku": _value(values, "product_sku"),
        "Status": _value(values, "status"),
        "Revenue": float(_value(values, "revenue")),
        "SalesOwnerEmail": _value(values, "sales_owner"),
        "SalesDate": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
    }
    response = requests.post(
        f"{LEADSQUARED}/v2/SalesActivity.svc/Create",
        json=body,
        headers=KEYS,
        timeout=30,
    )
    if response.ok:
        ack()
    else:
        ack(response_action="errors", errors={"lead": f"LeadSquared said {response.status_code}; try again."})


_slack = SlackRequestHandler(app)


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    return _slack(environ, start_response)
