"""Every table LogSale keeps, on one ``MetaData``: the only place a column is declared.

Importing this module declares all of them, whatever else was imported before (no table
joins a metadata by import order). Creating and widening them is ``bot.delivery.outbox``'s
job (``create_tables``, ``Outbox.create_schema``; Alembic revisions in bot/migrations upgrade existing databases).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

sales = Table(
    "logsale_sales",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # One row per view_submission: Slack's view id is the same on a resubmit or redelivery.
    # Text, not VARCHAR(n): whatever Slack or LeadSquared hands us (Enterprise ids, user names,
    # 300-character lead labels) must never make storing a sale fail (PostgreSQL's DataError).
    Column("submission_key", Text, nullable=False, unique=True),
    Column("team_id", Text, nullable=False, default=""),
    Column("user_id", Text, nullable=False, index=True),
    Column("user_name", Text, nullable=False, default=""),
    Column("channel_id", Text),
    Column("response_url", Text),
    Column("user_tz", Text, nullable=False, default="UTC"),
    Column("user_locale", Text),
    Column("raw", Text, nullable=False),  # RawSale as JSON: what the user typed
    Column("sale", Text, nullable=False),  # the validated Sale as JSON (bot.delivery.outbox.sale_columns)
    # Copies of the sale's values that queries select by, written with it; read from ``sale``.
    Column("prospect_id", Text),
    Column("product_sku", Text, nullable=False, default=""),
    Column("sales_date", Text, nullable=False, default=""),  # yyyy-MM-dd HH:mm:ss UTC
    # Delivery state.
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False, index=True),
    Column("lease_until", Float),
    Column("claimed_by", Text),
    Column("maybe_posted", Boolean, nullable=False, default=False),
    # Unique: two rows can never claim the same activity (see Dispatcher's adoption).
    Column("leadsquared_id", Text, unique=True),
    Column("error_kind", Text),
    Column("last_error", Text),
    Column("delay_notified", Boolean, nullable=False, default=False),
    Column("cancelled_by", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)


# Everything the salesperson is told, stored with the sale before it is sent, so a Slack
# outage delays a confirmation instead of losing it. Rows move like sales rows
#     pending -> sending -> delivered | superseded | expired     (or back to pending, later)
# with the same compare-and-set on ``version``, so each is sent by one process.
notifications = Table(
    "logsale_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sale_id", Integer, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("extra", Text, nullable=False, default="{}"),  # JSON: e.g. who undid, which message
    Column("response_url", Text),
    Column("response_url_issued_at", Float),  # when Slack issued it (at the latest)
    Column("route", String(16), nullable=False),  # the route to try next
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),  # our own errors (not Slack's)
    Column("next_attempt_at", Float, nullable=False, index=True),
    Column("lease_until", Float),
    Column("claimed_by", Text),
    Column("last_error", Text),
    Column("delivered_route", String(16)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Slack lets a response_url be used 5 times within 30 minutes: uses are counted per URL,
# across every notification that shares it, in every process.
response_url_uses = Table(
    "logsale_response_url_uses",
    metadata,
    Column("url_hash", String(64), primary_key=True),  # sha256 of the URL: it is a credential
    Column("uses", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
)


# LeadSquared's rate limit, shared by every process (bot.delivery.rate_limit).
rate_limit_windows = Table(
    "logsale_rate_limit",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("stamps", Text, nullable=False),  # JSON list of call times, oldest first
    Column("version", Integer, nullable=False),
)


# Which users' App Home tabs need publishing again (bot.delivery.home_tabs).
home_tabs = Table(
    "logsale_home_tabs",
    metadata,
    # Only users who have opened the Home are here: nobody else's tab is worth a publish.
    Column("user_id", String(32), primary_key=True),
    Column("opened_at", Float, nullable=False),
    Column("requested_at", Float, nullable=False),  # last time something on the tab changed
    Column("published_at", Float, nullable=False),  # last publish (or claim to publish)
)


# The Slack thread a sale's confirmation belongs in (bot.delivery.sale_threads).
sale_threads = Table(
    "logsale_sale_threads",
    metadata,
    Column("submission_key", String(128), primary_key=True),
    Column("thread_ts", String(32), nullable=False),
)


# Whether a sales owner's email is an active LeadSquared user, shared by every process so a
# submission landing on another worker than its form doesn't ask LeadSquared again
# (bot.delivery.owner_verdicts; bot.leadsquared.search.OwnerCheck decides what is kept how long).
owner_verdicts = Table(
    "logsale_owner_verdicts",
    metadata,
    Column("email", Text, primary_key=True),  # trimmed and lower-cased
    Column("active", Boolean, nullable=False),
    Column("expires_at", Float, nullable=False),  # wall-clock seconds
)


# Owner checks under way: which process is asking LeadSquared about an email right now, so the
# others wait for its verdict instead of asking too (bot.delivery.owner_verdicts). A row is
# deleted with the verdict's write, or ignored once ``until`` has passed (its process gave up).
owner_checks = Table(
    "logsale_owner_checks",
    metadata,
    Column("email", Text, primary_key=True),  # trimmed and lower-cased
    Column("until", Float, nullable=False),  # wall-clock seconds
)
