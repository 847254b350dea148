"""Alembic revisions of LogSale's schema (run through bot/schema_upgrade.py, no alembic.ini)."""
