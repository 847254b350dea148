"""The memory floor of the specified stack (kind "stack" in bench/run.py): the bare Bolt app
(bench/bare_app.py) plus what any app built on it holds at idle before a line of its own
code — a requests session (the
customer's HTTP client for LeadSquared), a SQLAlchemy engine with one pooled connection to
DATABASE_URL (a durable store shared by the workers), dateutil's parser (the specified date
parser). Only bench/run.py's memory section serves it: its idle RSS is how far below the bare
app's any LogSale on these libraries can go.

gunicorn -c python:bench.gunicorn_conf bench.stack_app:application
"""

from __future__ import annotations

import os

import dateutil.parser
import requests
import sqlalchemy

from bench.bare_app import application as bare_application

session = requests.Session()
engine = sqlalchemy.create_engine(os.environ.get("DATABASE_URL", "sqlite:///floor.db"))
with engine.connect() as connection:  # the pool now holds one connection, as the bot's do
    connection.execute(sqlalchemy.text("SELECT 1"))
PARSED = dateutil.parser.parse("26/11/2026 15:00", dayfirst=True)  # its tables built, as in use


def application(environ, start_response):
    return bare_application(environ, start_response)
