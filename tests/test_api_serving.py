"""Serving concerns over real marts: ETag/304, the response cache and its invalidation, /metrics, the rate
limit, CORS, and scrape_requests_sensor turning POSTed requests into crawl runs exactly once."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import dagster as dg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from test_api import TOKEN, marts_db, marts_template, rows, settings_for  # noqa: F401 (fixtures)

from goodseed_dagster.api.main import create_app
from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.sensors.scrape_requests import scrape_requests_sensor


@pytest.fixture
def client(marts_db: str) -> Iterator[TestClient]:  # noqa: F811
    """An app of its own per test: a fresh cache, metrics and rate limit."""
    app = create_app(settings_for(), marts_db)
    # re-read the data version on every request, and wait for it: tests change it
    app.state.versions.ttl, app.state.versions.patience = 0, 30
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def metric(client: TestClient, name: str, **labels: str) -> float:
    """A sample's value in /metrics (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in client.get("/metrics").text.splitlines():
        found = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if found and ",".join(sorted((found[1] or "").split(","))) == want:
            return float(found[2])
    return 0.0


def new_version(url: str, version: str) -> None:
    with engine_for(url).begin() as conn:
        conn.execute(text("UPDATE marts.data_version SET version = :v, built_at = now()"), {"v": version})


def test_etag_and_304(client: TestClient) -> None:
    first = client.get("/v1/strains", params={"limit": 3, "sort": "name"})
    etag = first.headers["etag"]
    assert (
        etag.startswith('W/"')
        and "public" in first.headers["cache-control"]
        and first.headers["last-modified"]
    )
    again = client.get("/v1/strains", params={"sort": "name", "limit": 3}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    since = client.get(
        "/v1/strains?limit=3&sort=name", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    other = client.get("/v1/strains", params={"limit": 4, "sort": "name"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_cache_hits_are_counted_and_a_new_version_invalidates(client: TestClient, marts_db: str) -> None:  # noqa: F811
    url = "/v1/sellers"
    first = client.get(url)
    assert metric(client, "goodseed_api_cache_total", result="miss") == 1
    assert client.get(url).content == first.content
    assert metric(client, "goodseed_api_cache_total", result="hit") == 1
    with engine_for(marts_db).begin() as conn:  # a row changes without a build: the cache still serves
        conn.execute(text("UPDATE marts.dim_seller SET seller_name = 'Renamed' WHERE seller = :s"),
                     {"s": first.json()[0]["slug"]})  # fmt: skip
    assert client.get(url).json() == first.json()
    try:
        new_version(marts_db, "test-build-2")  # a dbt build lands: new ETag, fresh data
        fresh = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert fresh.status_code == 200 and fresh.json()[0]["name"] == "Renamed"
        assert fresh.headers["etag"] != first.headers["etag"]
    finally:
        with engine_for(marts_db).begin() as conn:
            conn.execute(text("UPDATE marts.dim_seller SET seller_name = :n WHERE seller = :s"),
                         {"n": first.json()[0]["name"], "s": first.json()[0]["slug"]})  # fmt: skip


def test_errors_are_never_cached(client: TestClient) -> None:
    for _ in range(2):
        assert client.get("/v1/strains/nope").status_code == 404
        assert "etag" not in client.get("/v1/strains/nope").headers
    assert metric(client, "goodseed_api_cache_total", result="hit") == 0


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    client.get("/v1/strains/nope")
    client.get("/v1/strains/also-nope")
    labels = {"route": "/v1/strains/{strain_id}", "method": "GET", "status": "404"}
    assert metric(client, "goodseed_api_requests_total", **labels) == 2
    assert metric(client, "goodseed_api_request_seconds_count", route="/v1/strains/{strain_id}") == 2


def test_the_rate_limit_answers_429_with_retry_after(marts_db: str) -> None:  # noqa: F811
    app = create_app(settings_for(api_rate_per_minute=3), marts_db)
    with TestClient(app) as c:
        assert [c.get("/v1/sellers").status_code for _ in range(3)] == [200, 200, 200]
        refused = c.get("/v1/sellers")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "3 requests per minute" in refused.json()["detail"]
        assert c.get("/health").status_code == 200  # monitors are exempt
        assert metric(c, "goodseed_api_rate_limited_total") == 1


def test_cors_allows_configured_origins_only(marts_db: str) -> None:  # noqa: F811
    app = create_app(settings_for(cors_origins=["https://app.example"]), marts_db)
    with TestClient(app) as c:
        ok = c.get("/v1/sellers", headers={"Origin": "https://app.example"})
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        assert (
            "access-control-allow-origin"
            not in c.get("/v1/sellers", headers={"Origin": "https://evil"}).headers
        )
        preflight = c.options(
            "/v1/sellers", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"]


def _post(client: TestClient, seller: str) -> str:
    response = client.post(
        "/v1/admin/scrape-requests", json={"seller": seller}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_sensor_launches_each_request_once_and_rejects_bad_sellers(client: TestClient, marts_db: str) -> None:  # noqa: F811
    sellers = [r["seller"] for r in rows(marts_db, "SELECT slug AS seller FROM core.sources ORDER BY 1")]
    with engine_for(marts_db).begin() as conn:
        conn.execute(text("UPDATE core.sources SET enabled = false WHERE slug = :s"), {"s": sellers[1]})
    try:
        good, disabled = _post(client, sellers[0]), _post(client, sellers[1])
        waiting = _post(client, sellers[2])
        with engine_for(marts_db).begin() as conn:  # gone from core.sources since the marts were built
            conn.execute(text("INSERT INTO app.scrape_requests (seller) VALUES ('ghost')"))
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("sellers", sellers[:2])
            resources = {"pg": Postgres(url=marts_db)}
            with dg.build_sensor_context(instance=instance, resources=resources) as ctx:
                result = scrape_requests_sensor(ctx)
            assert isinstance(result, dg.SensorResult)
            assert [(r.run_key, r.partition_key) for r in result.run_requests or []] == [(good, sellers[0])]
            with dg.build_sensor_context(instance=instance, resources=resources) as ctx:
                assert isinstance(scrape_requests_sensor(ctx), dg.SkipReason)  # launched once only
        status = {
            r["id"]: r
            for r in rows(marts_db, "SELECT id::text AS id, seller, status, reason FROM app.scrape_requests")
        }
        assert status[good]["status"] == "launched"
        assert status[disabled]["status"] == "rejected" and "disabled" in status[disabled]["reason"]
        assert status[waiting]["status"] == "pending"  # its partition is not registered yet
        ghost = [r for r in status.values() if r["seller"] == "ghost"]
        assert ghost[0]["status"] == "rejected" and "unknown" in ghost[0]["reason"]
    finally:
        with engine_for(marts_db).begin() as conn:
            conn.execute(text("UPDATE core.sources SET enabled = true WHERE slug = :s"), {"s": sellers[1]})


def test_sensor_is_in_the_code_location() -> None:
    from goodseed_dagster.definitions import build_defs
    from goodseed_dagster.settings import Settings

    assert build_defs(Settings()).resolve_sensor_def("scrape_requests_sensor").job_name == "crawl_sellers"


def test_a_slow_version_read_does_not_hold_up_cached_responses(marts_db: str) -> None:  # noqa: F811
    """The request that finds the data version due waits for its re-read only `patience` seconds, then is
    answered from the version it had: here the only read connection is taken, so the re-read cannot run (had
    the request waited for it, it would have had no version and no connection for its own query: a 503)."""
    app = create_app(settings_for(api_read_pool_size=1), marts_db)
    app.state.versions.ttl, app.state.versions.patience = 0, 0.05
    with TestClient(app, raise_server_exceptions=False) as c:
        url = "/v1/strains?limit=2&sort=name"
        first = c.get(url)
        new_version(marts_db, "test-build-slow")
        reads, _ = app.state.database.pools
        portal = c.portal
        assert portal is not None
        held = portal.call(reads.getconn)
        try:
            again = c.get(url)
        finally:
            portal.call(reads.putconn, held)
        assert again.status_code == 200 and again.headers["etag"] == first.headers["etag"]
        for _ in range(100):  # the re-read got the connection back: the new version comes
            if c.get(url).headers["etag"] != first.headers["etag"]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the new data version never came")
