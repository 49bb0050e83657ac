"""The read API over a real Postgres: health, strains with keyset pagination, clear errors for bad input."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from goodseed_dagster.api.main import create_app
from goodseed_dagster.db.engine import engine_for

SELLERS = ["alpha", "beta", "gamma"]
# strain key -> sellers that offer it (and one out-of-stock-only strain)
STRAINS = {
    "b|gelato|feminized|photoperiod": SELLERS,
    "b|kush|regular|photoperiod": SELLERS[:2],
    "c|haze|feminized|autoflower": SELLERS[:1],
    "c|skunk|feminized|photoperiod": SELLERS[1:2],
}


@pytest.fixture(scope="module")
def client(new_database: Callable[[], str]) -> Iterator[TestClient]:
    url = new_database()
    with engine_for(url).begin() as conn:
        for s in SELLERS:
            conn.execute(
                text("""INSERT INTO core.sources (slug, name, platform, base_url, config, config_hash)
                                 VALUES (:s, :s, 'auto', 'https://x/', '{}', 'h')"""),
                {"s": s},
            )
        for i, (key, sellers) in enumerate(STRAINS.items()):
            breeder, name, sex, flowering = key.split("|")
            conn.execute(
                text("INSERT INTO core.strains VALUES (:k, :b, :n, :s, :f, now())"),
                {"k": key, "b": breeder.upper(), "n": name.title(), "s": sex, "f": flowering},
            )
            for j, seller in enumerate(sellers):
                conn.execute(
                    text("""
                    INSERT INTO core.offers (seller, offer_key, url, title, breeder, strain_name, sex, flowering,
                      pack_size, price, currency, price_base, price_per_seed_base, base_currency, in_stock,
                      match_key, strain_key, first_seen_at, last_seen_at, crawl_id)
                    VALUES (:seller, :ok, :url, :name, :b, :name, :s, :f, 5, :price, 'EUR', :price, :pps, 'EUR',
                            :stock, :k, :k, now(), now(), 1)"""),
                    {
                        "seller": seller,
                        "ok": f"{key}#5",
                        "url": f"https://{seller}/{name}",
                        "name": name.title(),
                        "b": breeder,
                        "s": sex,
                        "f": flowering,
                        "price": 10 + i + j,
                        "pps": (10 + i + j) / 5,
                        "stock": not (key.startswith("c|skunk")),
                        "k": key,
                    },
                )
    with TestClient(create_app(engine_for(url))) as c:
        yield c


def test_health_reports_counts(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["strains"] == len(STRAINS) and body["sellers"] == len(SELLERS)


def test_health_is_503_when_the_database_is_down() -> None:
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    response = TestClient(create_app(dead)).get("/health")
    assert response.status_code == 503 and response.json()["status"] == "degraded"


def test_strains_most_widely_sold_first_with_best_offer(client: TestClient) -> None:
    items = client.get("/v1/strains", params={"limit": 10}).json()["items"]
    assert [i["id"] for i in items] == [
        "b|gelato|feminized|photoperiod",
        "b|kush|regular|photoperiod",
        "c|haze|feminized|autoflower",
    ]
    assert items[0]["sellers"] == SELLERS
    best = items[0]["best_offer"]
    assert best["seller"] == "alpha" and float(best["price_per_seed"]) == pytest.approx(2.0)


def test_keyset_pagination_walks_every_strain_once(client: TestClient) -> None:
    seen, cursor = [], None
    while True:
        page = client.get("/v1/strains", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in client.get("/v1/strains").json()["items"]]
    assert len(seen) == 3


def test_filters(client: TestClient) -> None:
    assert [
        i["id"] for i in client.get("/v1/strains", params={"flowering": "autoflower"}).json()["items"]
    ] == ["c|haze|feminized|autoflower"]
    assert [i["name"] for i in client.get("/v1/strains", params={"q": "kus"}).json()["items"]] == ["Kush"]


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 201}, {"limit": "x"}, {"sex": "male"}, {"q": "a"}]
)
def test_bad_parameters_get_a_clear_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/v1/strains", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] in params


def test_bad_cursor_is_400(client: TestClient) -> None:
    response = client.get("/v1/strains", params={"cursor": "not-a-cursor"})
    assert response.status_code == 400 and "cursor" in response.json()["detail"]
