"""Session fixtures: one real PostgreSQL (embedded, or DATABASE_URL), databases copied from templates, and
the simulated market on 127.0.0.1, crawled once per session.

Copying a template (`CREATE DATABASE ... TEMPLATE`) takes a fraction of a second, so every test that
asserts table contents still gets a database of its own: an empty migrated one (`fresh_pg_url`) or one
holding a whole crawl of the market (`crawled`), without migrating or crawling again.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import make_url
from template_db import copy_database, drop_database, new_database_name, seal_template

from goodseed_dagster.db import embedded
from goodseed_dagster.db.engine import _with_driver
from goodseed_dagster.db.migrate import upgrade
from goodseed_dagster.market import Market, MarketServer, serve
from goodseed_dagster.settings import PROJECT_ROOT

if TYPE_CHECKING:  # the harness imports the Definitions: only tests that crawl pay for that
    from pipeline_harness import CrawledMarket, Pipeline

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
TEST_HOME = PROJECT_ROOT / ".goodseed" / "test"
PRODUCTS_PER_SHOP = 30


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


@pytest.fixture(scope="session")
def migrated_template(pg_server_url: str) -> Iterator[str]:
    """Name of an empty database at the latest migration, migrated once per session."""
    name = new_database_name("migrated")
    url = copy_database(pg_server_url, name, template=None)
    upgrade(url)
    seal_template(pg_server_url, name)
    yield name
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def new_database(pg_server_url: str, migrated_template: str) -> Iterator[Callable[[], str]]:
    """Factory of fresh migrated databases on the session's server (dropped at the end of the session)."""
    made: list[str] = []

    def make() -> str:
        made.append(new_database_name())
        return copy_database(pg_server_url, made[-1], template=migrated_template)

    yield make
    for name in made:
        drop_database(pg_server_url, name)


@pytest.fixture
def fresh_pg_url(pg_server_url: str, migrated_template: str) -> Iterator[str]:
    """A migrated, empty database of its own, for tests that assert exact table contents."""
    name = new_database_name()
    yield copy_database(pg_server_url, name, template=migrated_template)
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def market_server() -> Iterator[MarketServer]:
    """The session's market (day 0, small shops so the suite stays fast) on an ephemeral port."""
    with serve(Market(day=0, products_per_shop=PRODUCTS_PER_SHOP), host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def market(market_server: MarketServer) -> Iterator[MarketServer]:
    """The session's market server, back at day 0 with no faults and an empty request log."""
    market_server.market.day = 0
    market_server.market.clear_requests()
    yield market_server
    market_server.market.day = 0


@pytest.fixture(scope="session")
def crawled_market(
    pg_server_url: str,
    migrated_template: str,
    market_server: MarketServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CrawledMarket]:
    """The session market crawled once, impolitely, through to the strain catalogue, into a template database."""
    from pipeline_harness import crawl_market

    name = new_database_name("crawled")
    url = copy_database(pg_server_url, name, template=migrated_template)
    crawled = crawl_market(market_server, url, tmp_path_factory.mktemp("crawled"))
    seal_template(pg_server_url, name)
    yield crawled
    drop_database(pg_server_url, name)


@pytest.fixture
def crawled(
    pg_server_url: str, crawled_market: CrawledMarket, market: MarketServer, tmp_path: Path
) -> Iterator[Pipeline]:
    """A pipeline over a copy of the crawled database and archive; the market is back at day 0."""
    from pipeline_harness import crawled_copy

    name = new_database_name()
    url = copy_database(pg_server_url, name, template=make_url(crawled_market.url).database)
    with crawled_copy(crawled_market, url, tmp_path) as pipeline:
        yield pipeline
    drop_database(pg_server_url, name)


@pytest.fixture
def tmp_home() -> Iterator[Path]:
    """A GOODSEED_HOME inside the project, never under /tmp/pytest-of-root: the embedded server runs as its
    own OS user, and every new pytest session resets that directory to 0700, locking the server out."""
    home = TEST_HOME / f"home-{uuid.uuid4().hex[:10]}"
    home.mkdir(parents=True)
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real S3 API (moto's server mode) on 127.0.0.1: the only mock, for what cannot exist here."""
    from moto.server import ThreadedMotoServer

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
