"""Text columns; durable notifications, response_url uses; App Home tabs; shortcut threads.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Databases made by create_all between the first release and this revision (no alembic_version)
may already have some of these tables, or all of them: they are stamped 0001 and come through
here, so every step looks before it acts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# logsale_sales columns that were VARCHAR(n) in 0001.
WIDENED = {
    "submission_key": 128, "team_id": 32, "user_id": 32, "user_name": 255, "channel_id": 32, "user_tz": 64,
    "user_locale": 32, "lead_text": 255, "prospect_id": 64, "lead_label": 255, "product_sku": 128, "status": 8,
    "revenue": 40, "sales_owner_email": 255, "sales_date": 19, "claimed_by": 128, "leadsquared_id": 64,
    "error_kind": 32, "cancelled_by": 64,
}  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    if bind.dialect.name == "postgresql":
        # VARCHAR -> TEXT is binary-compatible on PostgreSQL: no table rewrite. SQLite is left
        # alone: it never enforced the lengths and both are TEXT affinity there.
        narrow = [
            column["name"]
            for column in inspector.get_columns("logsale_sales")
            if column["name"] in WIDENED and isinstance(column["type"], sa.String) and column["type"].length
        ]
        for name in sorted(narrow):
            op.alter_column("logsale_sales", name, type_=sa.Text(), existing_type=sa.String(WIDENED[name]))
    if "logsale_notifications" not in existing:
        op.create_table(
            "logsale_notifications",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("sale_id", sa.Integer, nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("extra", sa.Text, nullable=False),
            sa.Column("response_url", sa.Text),
            sa.Column("response_url_issued_at", sa.Float),
            sa.Column("route", sa.String(16), nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("failures", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", sa.Float, nullable=False),
            sa.Column("lease_until", sa.Float),
            sa.Column("claimed_by", sa.Text),
            sa.Column("last_error", sa.Text),
            sa.Column("delivered_route", sa.String(16)),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("updated_at", sa.Float, nullable=False),
        )
        op.create_index("ix_logsale_notifications_sale_id", "logsale_notifications", ["sale_id"])
        op.create_index("ix_logsale_notifications_state", "logsale_notifications", ["state"])
        op.create_index("ix_logsale_notifications_next_attempt_at", "logsale_notifications", ["next_attempt_at"])
    if "logsale_response_url_uses" not in existing:
        op.create_table(
            "logsale_response_url_uses",
            sa.Column("url_hash", sa.String(64), primary_key=True),
            sa.Column("uses", sa.Integer, nullable=False),
            sa.Column("updated_at", sa.Float, nullable=False),
        )
    if "logsale_home_tabs" not in existing:
        op.create_table(
            "logsale_home_tabs",
            sa.Column("user_id", sa.String(32), primary_key=True),
            sa.Column("opened_at", sa.Float, nullable=False),
            sa.Column("requested_at", sa.Float, nullable=False),
            sa.Column("published_at", sa.Float, nullable=False),
        )
    if "logsale_sale_threads" not in existing:
        op.create_table(
            "logsale_sale_threads",
            sa.Column("submission_key", sa.String(128), primary_key=True),
            sa.Column("thread_ts", sa.String(32), nullable=False),
        )


def downgrade() -> None:
    for table in ("logsale_sale_threads", "logsale_home_tabs", "logsale_response_url_uses", "logsale_notifications"):
        op.drop_table(table)
