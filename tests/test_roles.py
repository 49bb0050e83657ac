"""The serving roles can do exactly what migration 0005 grants, and are refused everything else.

The embedded server trusts local connections (pg_hba `trust`), so a role logs in once it has LOGIN; the
passwords are set the way `goodseed db roles` sets them, and must be stored as SCRAM verifiers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from pipeline_harness import DBT_MODELS, CrawledMarket, crawled_copy
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from template_db import copy_database, drop_database, new_database_name

from goodseed_dagster import cli
from goodseed_dagster.assets.exports import MARTS
from goodseed_dagster.db.engine import libpq_url
from goodseed_dagster.db.roles import ANALYST_ROLE, API_ROLE, enable_role_logins, set_logins
from goodseed_dagster.settings import Settings

PASSWORDS = {API_ROLE: "api-pw-{{x}}'\"", ANALYST_ROLE: "analyst pw ü"}
NON_EMPTY = {"strain_search", "fct_offer_current", "fct_price_daily", "seller_health", "data_version"}
REFUSED_FOR_ALL = [
    "SELECT 1 FROM core.offers LIMIT 1",
    "SELECT 1 FROM core.price_history LIMIT 1",
    "SELECT 1 FROM app.scrape_requests LIMIT 1",
    "SELECT 1 FROM staging.stg_core__offers LIMIT 1",
    "SELECT 1 FROM staging.stg_core__price_history LIMIT 1",
    "INSERT INTO marts.data_version VALUES ('x', now())",
    "UPDATE marts.fct_offer_current SET price_base = 0",
    "DELETE FROM marts.strain_search",
    "TRUNCATE marts.seller_health",
    "CREATE TABLE marts.mine (id int)",
    "CREATE TABLE public.mine (id int)",
    "CREATE SCHEMA mine",
    "UPDATE core.offers SET price = 1",
    "DELETE FROM app.scrape_requests",
    "CREATE VIEW marts.v AS SELECT 1",
]
SCRAPE_REQUEST = "INSERT INTO app.scrape_requests (id, seller, requested_by) VALUES (%s, %s, 'test')"


def as_role(url: str, role: str) -> psycopg.Connection:
    return psycopg.connect(libpq_url(url), user=role, password=PASSWORDS[role], autocommit=True)


def refused(conn: psycopg.Connection, statement: str, params: tuple[object, ...] = ()) -> bool:
    try:
        conn.execute(statement, params)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@pytest.fixture(scope="module")
def served(
    pg_server_url: str, crawled_market: CrawledMarket, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A copy of the crawled market's database with its marts built by the dbt asset and both roles able to log
    in; one per module (the tests only read it, as the roles, and add scrape requests of their own)."""
    name = new_database_name()
    url = copy_database(pg_server_url, name, template=make_url(crawled_market.url).database)
    with crawled_copy(crawled_market, url, tmp_path_factory.mktemp("served")) as pipeline:
        assert pipeline.materialize(DBT_MODELS).success
        assert set_logins(url, PASSWORDS) == sorted(PASSWORDS)
        yield url
    drop_database(pg_server_url, name)


def test_passwords_come_from_settings_and_are_stored_as_scram_verifiers(served: str) -> None:
    settings = Settings(
        api_role_password=SecretStr(PASSWORDS[API_ROLE]),
        analyst_role_password=SecretStr(PASSWORDS[ANALYST_ROLE]),
    )
    assert enable_role_logins(served, settings) == [ANALYST_ROLE, API_ROLE]
    assert enable_role_logins(served, Settings(api_role_password=None, analyst_role_password=None)) == []
    with psycopg.connect(libpq_url(served)) as conn:
        rows = conn.execute(
            "SELECT rolname, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = ANY(%s)",
            [list(PASSWORDS)],
        ).fetchall()
    assert {r[0] for r in rows} == set(PASSWORDS)
    for _, can_login, verifier in rows:
        assert can_login and verifier.startswith("SCRAM-SHA-256$")
        assert all(pw not in verifier for pw in PASSWORDS.values())


@pytest.mark.parametrize("role", [ANALYST_ROLE, API_ROLE])
def test_each_role_reads_every_mart_and_is_refused_everything_else(served: str, role: str) -> None:
    with as_role(served, role) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role,)
        for mart in MARTS:  # price_drops is empty after a single crawl: readable is what counts here
            (count,) = conn.execute(f"SELECT count(*) FROM marts.{mart}").fetchone() or (0,)
            assert count > 0 or mart not in NON_EMPTY, mart
        allowed = [s for s in REFUSED_FOR_ALL if not refused(conn, s)]
        assert allowed == []
        insert_ok = not refused(conn, SCRAPE_REQUEST, (uuid.uuid4(), role))
        assert insert_ok is (role == API_ROLE)
        assert refused(conn, "SELECT * FROM app.scrape_requests")
        assert refused(conn, "UPDATE app.scrape_requests SET status = 'launched'")
        assert refused(conn, "SELECT 1 FROM app.users")
        assert refused(conn, "UPDATE app.users SET email = 'x@y'")
        can_unsubscribe = not refused(conn, "SELECT app.unsubscribe('1.wrong')")  # only through the function
        assert can_unsubscribe is (role == API_ROLE)
    with psycopg.connect(libpq_url(served)) as owner:
        landed = owner.execute(
            "SELECT count(*) FROM app.scrape_requests WHERE requested_by = 'test' AND seller = %s", [role]
        ).fetchone()
    assert landed == (1 if role == API_ROLE else 0,)


def test_db_roles_command_sets_the_logins_settings_name(
    served: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", served)
    monkeypatch.setenv("GOODSEED_ANALYST_ROLE_PASSWORD", PASSWORDS[ANALYST_ROLE])
    monkeypatch.delenv("GOODSEED_API_ROLE_PASSWORD", raising=False)
    assert cli.main(["db", "roles"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"login enabled: {ANALYST_ROLE}" and PASSWORDS[ANALYST_ROLE] not in out
