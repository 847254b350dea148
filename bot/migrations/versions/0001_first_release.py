"""The first release's schema (commit 72f7c05): the outbox of sales and the shared rate limit.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

A database made by that release's create_all has exactly these tables without an
alembic_version table; bot/schema_upgrade.py stamps it with this revision. Written out
here rather than imported: a revision is a frozen picture, the code's tables move on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logsale_sales",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_key", sa.String(128), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("response_url", sa.Text),
        sa.Column("user_tz", sa.String(64), nullable=False),
        sa.Column("user_locale", sa.String(32)),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("lead_text", sa.String(255), nullable=False),
        sa.Column("prospect_id", sa.String(64)),
        sa.Column("lead_label", sa.String(255)),
        sa.Column("product_sku", sa.String(128), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("revenue", sa.String(40), nullable=False),
        sa.Column("sales_owner_email", sa.String(255), nullable=False),
        sa.Column("sales_date", sa.String(19), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("lease_until", sa.Float),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("maybe_posted", sa.Boolean, nullable=False),
        sa.Column("leadsquared_id", sa.String(64)),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.Column("delay_notified", sa.Boolean, nullable=False),
        sa.Column("cancelled_by", sa.String(64)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        # Unnamed, as create_all made them (PostgreSQL names them logsale_sales_<column>_key).
        sa.UniqueConstraint("submission_key"),
        sa.UniqueConstraint("leadsquared_id"),
    )
    op.create_index("ix_logsale_sales_user_id", "logsale_sales", ["user_id"])
    op.create_index("ix_logsale_sales_state", "logsale_sales", ["state"])
    op.create_index("ix_logsale_sales_next_attempt_at", "logsale_sales", ["next_attempt_at"])
    op.create_table(
        "logsale_rate_limit",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("stamps", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("logsale_rate_limit")
    op.drop_table("logsale_sales")
