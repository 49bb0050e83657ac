"""Session fixtures: one real PostgreSQL (embedded, or DATABASE_URL) and the simulated market on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from goodseed_dagster.db import embedded
from goodseed_dagster.db.engine import _with_driver, engine_for
from goodseed_dagster.db.migrate import upgrade
from goodseed_dagster.settings import PROJECT_ROOT

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
TEST_HOME = PROJECT_ROOT / ".goodseed" / "test"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A server to create test databases on: DATABASE_URL's, or an embedded one for this session."""
    if os.environ.get("DATABASE_URL"):
        yield _with_driver(os.environ["DATABASE_URL"], "psycopg")
        return
    pgdata = TEST_HOME / f"pg-{os.getpid()}"
    shutil.rmtree(pgdata, ignore_errors=True)
    url = _with_driver(embedded.start(pgdata), "psycopg")
    try:
        yield url
    finally:
        embedded.stop(pgdata)
        shutil.rmtree(pgdata, ignore_errors=True)


def create_database(server_url: str) -> str:
    """A fresh, migrated database on the server; its SQLAlchemy URL."""
    name = f"goodseed_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_url(pg_server_url: str) -> str:
    """The session's migrated database."""
    return create_database(pg_server_url)


@pytest.fixture(scope="session")
def new_database(pg_server_url: str) -> Callable[[], str]:
    """Factory of fresh migrated databases on the session's server."""
    return lambda: create_database(pg_server_url)


@pytest.fixture
def fresh_pg_url(pg_server_url: str) -> str:
    """A database of its own, for tests that assert exact table contents."""
    return create_database(pg_server_url)


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Engine:
    return engine_for(pg_url)


@pytest.fixture(scope="session")
def market() -> Iterator[tuple[object, str]]:
    """(Market, base URL) on an ephemeral 127.0.0.1 port, small shops so the suite stays fast."""
    from goodseed_dagster.market import Market, serve

    m = Market(day=0, products_per_shop=40)
    with serve(m, host="127.0.0.1", port=0) as server:
        yield m, server.url


@pytest.fixture
def tmp_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home
