"""Test databases on the session's server: copies of template databases, dropped when done."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from goodseed_dagster.db.engine import engine_for


def new_database_name(kind: str = "test") -> str:
    return f"goodseed_{kind}_{uuid.uuid4().hex[:10]}"


def _admin(server_url: str, sql: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def copy_database(server_url: str, name: str, *, template: str | None) -> str:
    """Create `name` (a copy of `template`, or empty); its SQLAlchemy URL."""
    _admin(server_url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def seal_template(server_url: str, name: str) -> None:
    """Close every connection to `name` and refuse new ones: a template must be idle to be copied,
    and a test that reached it by mistake fails loudly instead of changing every later copy."""
    engine_for(make_url(server_url).set(database=name).render_as_string(hide_password=False)).dispose()
    _admin(server_url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    _admin(server_url, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


def drop_database(server_url: str, name: str) -> None:
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
