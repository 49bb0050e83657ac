"""Which database to use, and connection URLs in the form each consumer needs."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from goodseed_dagster.db import embedded
from goodseed_dagster.settings import Settings, get_settings


def _with_driver(url: str, driver: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, got scheme {parsed.drivername!r}")
    return parsed.set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


def database_url(settings: Settings | None = None) -> str:
    """SQLAlchemy URL (psycopg 3) of DATABASE_URL, or of the embedded server, started if needed."""
    settings = settings or get_settings()
    if settings.database_url is not None:
        return _with_driver(settings.database_url.get_secret_value(), "psycopg")
    return _with_driver(embedded.start(settings.pgdata), "psycopg")


def dagster_url(url: str) -> str:
    """dagster-postgres fails on psycopg 3 (NOTIFY with $1 parameters): give it psycopg2."""
    return _with_driver(url, "psycopg2")


def libpq_url(url: str) -> str:
    """Plain postgresql:// URL for psql, dbt and psycopg.connect."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def dagster_database(url: str) -> str:
    """Dagster's own database `<database>_dagster` beside GoodSeed's on the same server (created when
    missing): its psycopg2 URL. Runs, event logs and schedule ticks then live in Postgres, as in production.
    """
    name = f"{make_url(url).database or 'postgres'}_dagster"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return dagster_url(make_url(url).set(database=name).render_as_string(hide_password=False))
