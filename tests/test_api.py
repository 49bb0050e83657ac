"""The read API over marts that dbt built from a real crawl of the simulated market.

`marts_template` builds the marts once per session (a dbt build costs ~10 s) into a template database; each
module copies it. test_api_serving, test_api_schema and test_api_edges import these fixtures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from template_db import copy_database, drop_database, new_database_name, seal_template

from goodseed_dagster.api.main import create_app
from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.settings import Settings

_TEMPLATES: dict[str, str] = {}  # server -> marts template: built once even when several modules ask
TOKEN = "s3cret-token"


@pytest.fixture(scope="session")
def marts_template(
    pg_server_url: str, crawled_market: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Name of a sealed database: the crawled market with every dbt model (staging + marts) built."""
    from pipeline_harness import DBT_MODELS, crawled_copy

    if pg_server_url not in _TEMPLATES:
        name = new_database_name("marts")
        url = copy_database(pg_server_url, name, template=make_url(crawled_market.url).database)
        with crawled_copy(crawled_market, url, tmp_path_factory.mktemp("marts")) as pipeline:
            pipeline.materialize(DBT_MODELS)
            pipeline.engine.dispose()
        seal_template(pg_server_url, name)
        _TEMPLATES[pg_server_url] = name
    yield _TEMPLATES[pg_server_url]
    built = _TEMPLATES.pop(pg_server_url, None)
    if built:
        drop_database(pg_server_url, built)


@pytest.fixture(scope="module")
def marts_db(pg_server_url: str, marts_template: str) -> Iterator[str]:
    """A module's own copy of the built marts (tests may change rows)."""
    name = new_database_name()
    url = copy_database(pg_server_url, name, template=marts_template)
    yield url
    engine_for(url).dispose()
    drop_database(pg_server_url, name)


def settings_for(**overrides: Any) -> Settings:
    defaults: dict[str, Any] = {"api_token": TOKEN, "api_rate_per_minute": 100_000}
    return Settings(**{**defaults, **overrides})


@pytest.fixture(scope="module")
def client(marts_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(), marts_db), raise_server_exceptions=False) as c:
        yield c


def rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine_for(url).connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def walk(
    client: TestClient, params: dict[str, Any], between: Callable[[int], None] | None = None
) -> list[str]:
    """Every strain id of a keyset walk; `between(page)` runs after each page."""
    seen: list[str] = []
    cursor, page = None, 0
    while True:
        response = client.get("/v1/strains", params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        seen += [i["id"] for i in response.json()["items"]]
        cursor, page = response.json()["next_cursor"], page + 1
        if between:
            between(page)
        if cursor is None:
            return seen


def test_the_crawl_built_marts_to_serve(marts_db: str) -> None:
    assert rows(marts_db, "SELECT count(*) AS n FROM marts.strain_search")[0]["n"] > 20
    assert rows(marts_db, "SELECT count(*) AS n FROM marts.data_version")[0]["n"] == 1


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("price_per_seed", "best_price_per_seed_base ASC NULLS LAST, strain_key"),
        ("name", "strain_name, strain_key"),
        ("last_change", "last_change_at DESC, strain_key"),
    ],
)
def test_each_sort_walks_every_strain_once_in_order(
    client: TestClient, marts_db: str, sort: str, order: str
) -> None:
    expected = [
        r["strain_key"]
        for r in rows(marts_db, f"SELECT strain_key FROM marts.strain_search ORDER BY {order}")
    ]
    assert walk(client, {"sort": sort, "limit": 7}) == expected


def test_strain_items_carry_their_best_offer(client: TestClient, marts_db: str) -> None:
    best = rows(
        marts_db,
        "SELECT strain_key, seller, price_per_seed_base FROM marts.fct_offer_current WHERE is_best "
        "ORDER BY price_per_seed_base, strain_key LIMIT 1",
    )[0]
    item = client.get("/v1/strains", params={"limit": 1}).json()["items"][0]
    assert item["id"] == best["strain_key"] and item["is_in_stock"] is True
    assert item["best_offer"]["seller"] == best["seller"]
    assert Decimal(str(item["best_offer"]["price_per_seed_base"])) == best["price_per_seed_base"]


def test_filters_agree_with_the_mart(client: TestClient, marts_db: str) -> None:
    one = rows(marts_db, "SELECT * FROM marts.strain_search WHERE is_in_stock ORDER BY strain_key LIMIT 1")[0]
    seller, cap = one["sellers"][0], one["best_price_per_seed_base"]
    cases: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
        ({"seller": seller}, ":s = ANY(sellers)", {"s": seller}),
        ({"breeder": one["breeder"]}, "breeder = :b", {"b": one["breeder"]}),
        ({"max_price_per_seed": str(cap)}, "best_price_per_seed_base <= :c", {"c": cap}),
        ({"in_stock": "false"}, "NOT is_in_stock", {}),
        (
            {"sex": "feminized", "flowering": "autoflower"},
            "sex = 'feminized' AND flowering = 'autoflower'",
            {},
        ),
    ]
    for params, where, bind in cases:
        want = rows(
            marts_db, f"SELECT strain_key FROM marts.strain_search WHERE {where} ORDER BY strain_key", **bind
        )
        assert sorted(walk(client, {**params, "limit": 100})) == [r["strain_key"] for r in want], params


def test_search_finds_names_breeders_and_aliases(client: TestClient, marts_db: str) -> None:
    one = rows(
        marts_db, "SELECT strain_key, strain_name, breeder FROM marts.strain_search ORDER BY 1 LIMIT 1"
    )[0]
    for q in (one["strain_name"].upper(), one["breeder"][:4].lower()):
        found = walk(client, {"q": q, "limit": 100})
        assert one["strain_key"] in found, q
        pattern = f"%{q.lower()}%"
        want = rows(
            marts_db, "SELECT strain_key FROM marts.strain_search WHERE search_text LIKE :p", p=pattern
        )
        assert sorted(found) == sorted(r["strain_key"] for r in want)


def test_pages_neither_skip_nor_repeat_while_the_mart_changes(client: TestClient, marts_db: str) -> None:
    """A row seen on page 1 leaves the result set and one not yet seen gets a new price: with OFFSET pages the
    first shifts every later row by one (a skip); keyset pages continue after the last row seen."""
    params = {"in_stock": "true", "sort": "name", "limit": 5}
    before = walk(client, params)
    first_page = before[:5]
    unseen = before[-1]

    def change(page: int) -> None:
        if page == 1:
            with engine_for(marts_db).begin() as conn:
                conn.execute(text("UPDATE marts.strain_search SET is_in_stock = false WHERE strain_key = :k"),
                             {"k": first_page[0]})  # fmt: skip
                conn.execute(text("UPDATE marts.strain_search SET best_price_per_seed_base = 0.01 WHERE strain_key = :k"),
                             {"k": unseen})  # fmt: skip

    try:
        during = walk(client, params, change)
    finally:
        with engine_for(marts_db).begin() as conn:
            conn.execute(text("UPDATE marts.strain_search SET is_in_stock = true WHERE strain_key = :k"),
                         {"k": first_page[0]})  # fmt: skip
    assert during == before and len(set(during)) == len(during)


def test_strain_detail_lists_offers_with_the_best_marked(client: TestClient, marts_db: str) -> None:
    key = rows(
        marts_db, "SELECT strain_key FROM marts.strain_search ORDER BY seller_count DESC, strain_key LIMIT 1"
    )[0]
    body = client.get(f"/v1/strains/{key['strain_key']}").json()
    offers = rows(marts_db, "SELECT offer_key, is_best FROM marts.fct_offer_current WHERE strain_key = :k",
                  k=key["strain_key"])  # fmt: skip
    assert sorted(o["offer_key"] for o in body["offers"]) == sorted(o["offer_key"] for o in offers)
    assert [o["is_best"] for o in body["offers"]].count(True) == 1 and body["offers"][0]["is_best"]
    assert len({o["seller"] for o in body["offers"]}) == body["seller_count"] > 1


def test_unknown_ids_are_404(client: TestClient) -> None:
    for path in ("/v1/strains/nope", "/v1/strains/nope/price-history", "/v1/sellers/nope"):
        response = client.get(path)
        assert response.status_code == 404 and "nope" in response.json()["detail"], path


def test_price_history_per_offer_within_the_range(client: TestClient, marts_db: str) -> None:
    found = rows(marts_db, "SELECT strain_key, day FROM marts.fct_price_daily ORDER BY day DESC, 1 LIMIT 1")[
        0
    ]
    day: date = found["day"]
    body = client.get(
        f"/v1/strains/{found['strain_key']}/price-history",
        params={"from": str(day - timedelta(days=3)), "to": str(day)},
    ).json()
    assert body["from"] == str(day - timedelta(days=3)) and body["to"] == str(day)
    points = [p for s in body["series"] for p in s["points"]]
    assert points and all(str(day - timedelta(days=3)) <= p["day"] <= str(day) for p in points)
    want = rows(marts_db, "SELECT count(*) AS n FROM marts.fct_price_daily WHERE strain_key = :k AND day = :d",
                k=found["strain_key"], d=day)  # fmt: skip
    assert sum(p["day"] == str(day) for p in points) == want[0]["n"]


@pytest.mark.parametrize(
    "params",
    [{"from": "2026-02-01", "to": "2026-01-01"}, {"from": "2024-01-01", "to": "2026-01-01"}, {"to": "0001-01-02"},
     {"from": "yesterday"}],
)  # fmt: skip
def test_bad_history_ranges_are_422(client: TestClient, marts_db: str, params: dict[str, str]) -> None:
    key = rows(marts_db, "SELECT strain_key FROM marts.strain_search LIMIT 1")[0]["strain_key"]
    response = client.get(f"/v1/strains/{key}/price-history", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] in params


def test_sellers_and_their_health(client: TestClient, marts_db: str) -> None:
    sellers = client.get("/v1/sellers").json()
    slugs = [r["seller"] for r in rows(marts_db, "SELECT seller FROM marts.dim_seller ORDER BY 1")]
    assert [s["slug"] for s in sellers] == slugs
    detail = client.get(f"/v1/sellers/{slugs[0]}").json()
    assert detail["health"]["last_crawl_status"] and detail["health"]["is_fresh"] is True
    crawls = client.get("/v1/crawls").json()
    assert [c["seller"] for c in crawls] == slugs and all(c["last_crawl_id"] for c in crawls)


def test_deals_are_in_stock_drops_above_the_threshold(client: TestClient, marts_db: str) -> None:
    with engine_for(marts_db).begin() as conn:  # the day-0 crawl has no history yet: plant two drops
        conn.execute(text("""INSERT INTO marts.price_drops (seller, offer_key, strain_key, offer_url, drop_pct,
                                 is_fake_discount, is_deal) VALUES
                             ('s1', 'o1', 'k', 'https://x/1', 30, false, true),
                             ('s1', 'o2', 'k', 'https://x/2', 5, false, true),
                             ('s1', 'o3', 'k', 'https://x/3', 50, true, false)"""))  # fmt: skip
    assert [d["offer_key"] for d in client.get("/v1/deals").json()] == ["o1", "o2"]
    assert [d["offer_key"] for d in client.get("/v1/deals", params={"min_drop_pct": 10}).json()] == ["o1"]
    assert client.get("/v1/deals", params={"min_drop_pct": 101}).status_code == 422


def test_health_names_each_sellers_freshness(client: TestClient, marts_db: str) -> None:
    response = client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["data_version"]
    assert {s["seller"] for s in body["sellers"]} == {
        r["seller"] for r in rows(marts_db, "SELECT seller FROM marts.seller_health WHERE is_enabled")
    }


def test_health_is_503_when_the_database_is_down() -> None:
    dead = "postgresql://nobody@127.0.0.1:1/none"
    with TestClient(create_app(settings_for(api_db_timeout_s=1), dead), raise_server_exceptions=False) as c:
        response = c.get("/health")
        assert response.status_code == 503 and response.json()["status"] == "degraded"
        assert c.get("/v1/strains").status_code == 503  # the data is unavailable: not a 500


def test_health_lists_a_stale_seller_and_is_503_when_all_are(client: TestClient, marts_db: str) -> None:
    enabled = [r["seller"] for r in rows(marts_db, "SELECT seller FROM marts.seller_health WHERE is_enabled")]
    sql = "UPDATE marts.seller_health SET is_fresh = :f WHERE seller = ANY(:s)"
    answers = []
    for stale in (enabled[:1], enabled):
        with engine_for(marts_db).begin() as conn:
            conn.execute(text(sql), {"f": False, "s": stale})
        try:
            answers.append(client.get("/health"))
        finally:
            with engine_for(marts_db).begin() as conn:
                conn.execute(text(sql), {"f": True, "s": stale})
    one, every = answers
    assert one.status_code == 200 and one.json()["status"] == "ok"
    assert [s["seller"] for s in one.json()["sellers"] if not s["is_fresh"]] == enabled[:1]
    assert every.status_code == 503 and every.json()["status"] == "degraded"


def test_without_marts_every_route_is_503(fresh_pg_url: str) -> None:
    """Before dbt ever ran there are no marts: degraded, and every read route 503 rather than 500."""
    with TestClient(create_app(settings_for(), fresh_pg_url), raise_server_exceptions=False) as c:
        assert c.get("/health").status_code == 503
        assert c.get("/v1/sellers").status_code == 503


def test_bad_cursor_is_422_naming_it(client: TestClient) -> None:
    first = client.get("/v1/strains", params={"limit": 1, "sort": "name"}).json()["next_cursor"]
    for cursor, sort in (("not-a-cursor", "name"), (first, "price_per_seed")):
        response = client.get("/v1/strains", params={"cursor": cursor, "sort": sort})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_scrape_request_inserts_a_pending_row(client: TestClient, marts_db: str) -> None:
    slug = rows(marts_db, "SELECT seller FROM marts.dim_seller LIMIT 1")[0]["seller"]
    response = client.post("/v1/admin/scrape-requests", json={"seller": slug, "note": "price looks off"},
                           headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert response.status_code == 202, response.text
    found = rows(
        marts_db,
        "SELECT seller, note, status FROM app.scrape_requests WHERE id = :i",
        i=response.json()["id"],
    )
    assert found == [{"seller": slug, "note": "price looks off", "status": "pending"}]


def test_scrape_requests_need_the_token(client: TestClient, marts_db: str, tmp_path: Path) -> None:
    slug = rows(marts_db, "SELECT seller FROM marts.dim_seller LIMIT 1")[0]["seller"]
    url, body = "/v1/admin/scrape-requests", {"seller": slug}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post(url, json=body, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post(url, json={"seller": "nobody"}, headers=auth).status_code == 404
    assert client.post(url, json={"seller": "a\x00b"}, headers=auth).status_code == 422
    off = create_app(settings_for(api_token=None), marts_db)
    with TestClient(off) as c:
        assert c.post(url, json=body, headers=auth).status_code == 503
    assert rows(marts_db, "SELECT count(*) AS n FROM app.scrape_requests WHERE note IS NULL")[0]["n"] == 0
