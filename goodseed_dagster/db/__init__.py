"""Postgres: the embedded server, SQLAlchemy tables, Alembic migrations and bulk loaders."""
