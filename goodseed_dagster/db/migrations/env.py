"""Alembic environment: online migrations against the URL the caller set."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url must be set by goodseed_dagster.db.migrate"

connectable = create_engine(url, poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, version_table_schema="public", transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
