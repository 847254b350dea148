"""Sales-owner verdicts shared by every process.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

``logsale_owner_verdicts`` keeps whether an email is an active LeadSquared user, until when
(bot.delivery.owner_verdicts). A database that already has it (create_all) is left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "logsale_owner_verdicts" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "logsale_owner_verdicts",
        sa.Column("email", sa.Text, primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("logsale_owner_verdicts")
