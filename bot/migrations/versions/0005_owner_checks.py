"""Owner checks under way, shared by every process.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

``logsale_owner_checks`` says which process is asking LeadSquared about a sales owner's email
right now, so the others wait for its verdict instead of asking too (bot.delivery.owner_verdicts).
A database that already has it (create_all) is left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "logsale_owner_checks" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "logsale_owner_checks",
        sa.Column("email", sa.Text, primary_key=True),
        sa.Column("until", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("logsale_owner_checks")
