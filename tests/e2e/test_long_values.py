"""Long values from LeadSquared never make storing a sale fail, also on an old PostgreSQL table."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from bot.schema_upgrade import alembic_config


@pytest.mark.postgres
def test_a_300_character_lead_label_on_a_table_created_with_varchar_255_is_stored_and_announced(deploy, postgres_url):
    # A database created by the first release: lead_label and friends were VARCHAR(255).
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    bot = deploy(database_url=postgres_url)  # start-up widens them, and folds the sale into one JSON column
    first, last = "Meenakshi" + "i" * 141, "Sundaram" + "m" * 141
    bot.leadsquared.add_lead(first_name=first, last_name=last, email="meena@buyer.in")
    bot.log_sale(lead="meena@buyer.in")
    [announcement] = bot.wait_for_response("in_channel", timeout=20)
    assert f"{first} {last}" in json.dumps(announcement.args)
    with engine.connect() as conn:
        types = dict(
            conn.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = 'logsale_sales'"
                )
            ).all()
        )
        [sale] = conn.execute(text("SELECT sale FROM logsale_sales")).scalars().all()
    assert types["user_name"] == types["sale"] == types["product_sku"] == "text"
    assert "lead_label" not in types and "lead_text" not in types
    label = json.loads(sale)["lead"]["label"]
    assert label == f"{first} {last}" and len(label) == 300
    engine.dispose()
