"""Alembic's environment: always handed an open connection by bot/schema_upgrade.py."""

from __future__ import annotations

from alembic import context

from bot.schema_upgrade import target_metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=target_metadata())
with context.begin_transaction():
    context.run_migrations()
