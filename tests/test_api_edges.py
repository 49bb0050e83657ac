"""The API under hostile input: every bad parameter is a 4xx naming what is wrong, never a 500; HEAD and
OPTIONS answer wherever GET does. Each case once answered 500 or 405 (issue #14)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from goodseed_dagster.api.main import create_app
from goodseed_dagster.db.engine import engine_for

NAMES = ["50% Haze", "5000 Haze", "Back\\slash Kush", "Under_score OG"]


@pytest.fixture(scope="module")
def client(new_database: Callable[[], str]) -> Iterator[TestClient]:
    """Four strains whose names hold LIKE's special characters, one in-stock offer each."""
    url = new_database()
    with engine_for(url).begin() as conn:
        conn.execute(
            text("""INSERT INTO core.sources (slug, name, platform, base_url, config, config_hash)
                    VALUES ('shop', 'Shop', 'auto', 'https://x/', '{}', 'h')""")
        )
        for i, name in enumerate(NAMES):
            conn.execute(
                text("INSERT INTO core.strains VALUES (:k, 'B', :n, 'feminized', 'photoperiod', now())"),
                {"k": f"k{i}", "n": name},
            )
            conn.execute(
                text("""
                INSERT INTO core.offers (seller, offer_key, url, title, breeder, strain_name, pack_size, price,
                  currency, price_base, price_per_seed_base, base_currency, in_stock, match_key, strain_key,
                  first_seen_at, last_seen_at, crawl_id)
                VALUES ('shop', :k, 'https://x/p', :n, 'B', :n, 5, 10, 'EUR', 10, 2, 'EUR', true, :k, :k,
                        now(), now(), 1)"""),
                {"k": f"k{i}", "n": name},
            )
    with TestClient(create_app(engine_for(url)), raise_server_exceptions=False) as c:
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
        {"cursor": "c" * 513},
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
        _cursor("1|k\x00"),  # a NUL in the key: was a 500
        _cursor("99999999999999999999|k1"),  # overflows Postgres' integer: was a 500
        _cursor("-1|k1"),
        _cursor("1_0|k1"),
        _cursor(" 1|k1"),
        _cursor("1|"),
        _cursor("k1"),
        "not base64 at all!",
        "%%%",
        "YQ",
        "é",
        base64.urlsafe_b64encode(b"1|\xff\xfe").decode(),  # not UTF-8
    ],
    ids=repr,
)
def test_bad_cursors_are_400(client: TestClient, cursor: str) -> None:
    response = client.get("/v1/strains", params={"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_a_cursor_the_api_wrote_still_works(client: TestClient) -> None:
    first = client.get("/v1/strains", params={"limit": 2}).json()
    rest = client.get("/v1/strains", params={"cursor": first["next_cursor"]}).json()
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
    response = client.get("/v1/strains", params={"q": q})
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
