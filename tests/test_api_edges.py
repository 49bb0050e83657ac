"""The API under hostile input: every bad parameter is a 4xx naming what is wrong, never a 500; HEAD and
OPTIONS answer wherever GET does. Each case once answered 500 or 405 (issue #14)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from test_api import marts_db, marts_template, settings_for  # noqa: F401 (fixtures)

from goodseed_dagster.api.main import create_app
from goodseed_dagster.db.engine import engine_for

NAMES = ["50% Haze", "5000 Haze", "Back\\slash Kush", "Under_score OG"]
BREEDER = "Edge Breeder"


@pytest.fixture(scope="module")
def client(marts_db: str) -> Iterator[TestClient]:  # noqa: F811
    """The crawled marts plus four strains of BREEDER whose names hold LIKE's special characters."""
    with engine_for(marts_db).begin() as conn:
        for i, name in enumerate(NAMES):
            conn.execute(
                text("""
                INSERT INTO marts.strain_search (strain_key, strain_name, breeder, sex, flowering, aliases,
                  search_text, seller_count, offer_count, in_stock_offer_count, sellers, base_currency,
                  is_in_stock, last_change_at, first_seen_at)
                VALUES (:k, :n, :b, 'feminized', 'photoperiod', '', lower(:n || ' ' || :b), 0, 0, 0, '{}', 'EUR',
                        false, now(), now())"""),
                {"k": f"edge-k{i}", "n": name, "b": BREEDER},
            )
    with TestClient(create_app(settings_for(), marts_db), raise_server_exceptions=False) as c:
        yield c


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "ab\x00c"},  # Postgres text cannot hold a NUL: was a 500
        {"q": "ab\x1bc"},
        {"q": "x" * 101},
        {"q": "a"},
        {"limit": str(10**40)},
        {"limit": "-1"},
        {"limit": "1.5"},
        {"limit": "NaN"},
        {"limit": ""},
        {"sex": "male"},
        {"flowering": "AUTOFLOWER"},
        {"cursor": "c" * 1025},
        {"sort": "price"},
        {"max_price_per_seed": "NaN"},
        {"max_price_per_seed": "-1"},
        {"in_stock": "maybe"},
        {"breeder": "a\x00"},
        {"seller": ""},
    ],
    ids=repr,
)
def test_bad_parameters_are_422_naming_the_parameter(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/v1/strains", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] in params


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor('["name", "x", "k\\u0000"]'),  # a NUL in the key: Postgres text cannot hold one
        _cursor('["price_per_seed", "x", "k"]'),  # another sort's cursor
        _cursor('["name", 1, "k"]'),
        _cursor('["name", "x", ""]'),
        _cursor('["name", "x"]'),
        _cursor('["name", "x", "k", 1]'),
        _cursor("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]"),
        _cursor('{"a": 1}'),
        _cursor("null"),
        "not base64 at all!",
        "%%%",
        "YQ",
        "é",
        base64.urlsafe_b64encode(b'["name", "\xff\xfe", "k"]').decode(),  # not UTF-8
    ],
    ids=repr,
)
def test_bad_cursors_are_422(client: TestClient, cursor: str) -> None:
    response = client.get("/v1/strains", params={"cursor": cursor, "sort": "name"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    ("sort", "raw"),
    [
        ("price_per_seed", '["price_per_seed", "1e999999", "k"]'),
        ("price_per_seed", '["price_per_seed", "NaN", "k"]'),
        ("price_per_seed", '["price_per_seed", "1e12", "k"]'),
        ("last_change", '["last_change", "2026-01-01T00:00:00", "k"]'),  # no time zone
        ("last_change", '["last_change", "yesterday", "k"]'),
    ],
)
def test_bad_cursor_values_are_422(client: TestClient, sort: str, raw: str) -> None:
    response = client.get("/v1/strains", params={"cursor": _cursor(raw), "sort": sort})
    assert response.status_code == 422, response.text


def test_a_cursor_the_api_wrote_still_works(client: TestClient) -> None:
    for sort in ("price_per_seed", "name", "last_change"):
        params = {"breeder": BREEDER, "sort": sort}
        first = client.get("/v1/strains", params={**params, "limit": 2}).json()
        rest = client.get("/v1/strains", params={**params, "cursor": first["next_cursor"]}).json()
        assert len(first["items"]) + len(rest["items"]) == len(NAMES)


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("0%", ["50% Haze"]),  # % is a character, not a wildcard
        ("r_s", ["Under_score OG"]),  # so is _
        ("k\\s", ["Back\\slash Kush"]),
        ("\\\\", []),
        ("%%", []),
        ("haze", ["50% Haze", "5000 Haze"]),
        ("ÄÖ✓🌿", []),
    ],
)
def test_q_is_a_literal_substring(client: TestClient, q: str, names: list[str]) -> None:
    response = client.get("/v1/strains", params={"q": q, "breeder": BREEDER})
    assert response.status_code == 200
    assert sorted(i["name"] for i in response.json()["items"]) == names


def test_odd_but_harmless_requests_answer_200(client: TestClient) -> None:
    for query in ("limit=1&limit=2", "q=%ff%fe", "q=%ed%a0%80ab", "unknown=1", "limit=+2", "limit=002"):
        assert client.get(f"/v1/strains?{query}").status_code == 200, query


@pytest.mark.parametrize("path", ["/health", "/v1/strains", "/openapi.json"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize("path", ["/health", "/v1/strains"])
def test_options_lists_the_allowed_methods(client: TestClient, path: str) -> None:
    response = client.options(path)
    assert response.status_code == 204 and response.content == b""
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_unknown_paths_and_methods_stay_404_and_405(client: TestClient) -> None:
    assert client.options("/nowhere").status_code == 404
    assert client.head("/nowhere").status_code == 404
    assert client.get("/health%00").status_code == 404
    post = client.post("/health")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD, OPTIONS"
