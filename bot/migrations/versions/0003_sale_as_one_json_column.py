"""The validated sale as one JSON column, beside ``raw``; its per-field columns go.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

``sale`` holds the whole validated sale (bot.delivery.outbox.sale_columns writes it, and
sale_from_columns reads it). Of the per-field columns only the copies queries select by stay:
prospect_id, product_sku, sales_date. The others (lead_text, lead_label, status, revenue,
sales_owner_email) are copied into ``sale`` row by row, then dropped. A database create_all made
with this schema and stamped 0001 comes through here too: every step looks before it acts.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from bot.domain.lead_text import lead_kind

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FOLDED = ("lead_text", "lead_label", "status", "revenue", "sales_owner_email")
BATCH = 500


def sale_json(row) -> str:
    """One row's sale, in the JSON the code of this revision reads (bot.delivery.outbox): a
    value that never read as a sale (an unreadable date or amount) is kept as its text, and
    still doesn't read as one."""
    try:
        when = datetime.strptime(row.sales_date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).isoformat()
    except (TypeError, ValueError):
        when = row.sales_date
    lead_text = row.lead_text or ""
    sale = {
        "lead": {
            "text": lead_text,
            "kind": lead_kind(lead_text) or "",
            "prospect_id": row.prospect_id,
            "label": row.lead_label,
        },
        "product_sku": row.product_sku or "",
        "status": row.status or "",
        "revenue": row.revenue or "",
        "sales_owner_email": row.sales_owner_email or "",
        "sales_date_utc": when,
    }
    return json.dumps(sale, separators=(",", ":"))


def upgrade() -> None:
    bind = op.get_bind()
    columns = {column["name"] for column in sa.inspect(bind).get_columns("logsale_sales")}
    if "sale" not in columns:
        op.add_column("logsale_sales", sa.Column("sale", sa.Text))
    folded = [name for name in FOLDED if name in columns]
    if not folded:
        return  # made with this schema already
    table = sa.table(
        "logsale_sales",
        sa.column("id", sa.Integer),
        sa.column("sale", sa.Text),
        *(sa.column(name, sa.Text) for name in (*FOLDED, "prospect_id", "product_sku", "sales_date")),
    )
    last_id = -1
    while True:
        rows = bind.execute(
            sa.select(table).where(table.c.id > last_id, table.c.sale.is_(None)).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            bind.execute(sa.update(table).where(table.c.id == row.id).values(sale=sale_json(row)))
        last_id = rows[-1].id
    # SQLite can't make a column NOT NULL in place: batch mode copies the table (indexes and
    # unique constraints included) within this transaction; PostgreSQL alters it in place.
    with op.batch_alter_table("logsale_sales") as batch:
        batch.alter_column("sale", existing_type=sa.Text(), nullable=False)
        for name in folded:
            batch.drop_column(name)


def downgrade() -> None:
    raise NotImplementedError("0003 folds columns into JSON; restore a backup to go back")
