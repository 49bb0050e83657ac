"""The market over real HTTP: robots, sitemaps, platform endpoints, FX feed, admin, faults, request log."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest

from goodseed_dagster.market import Market, MarketServer, serve

ECB = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def server() -> Iterator[MarketServer]:
    with serve(Market(products_per_shop=60), port=0) as s:
        yield s


@pytest.fixture()
def client(server: MarketServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        c.post("/_market/faults", json={})
        c.post("/_market/day", json={"day": 0})
        yield c


def test_url_and_base(server: MarketServer) -> None:
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith("/")
    assert server.market.truth("greenleaf")[0].product_url.startswith(server.url + "/s/greenleaf/")


def test_robots_and_sitemaps(client: httpx.Client, server: MarketServer) -> None:
    for shop in server.market.shops:
        robots = client.get(f"/s/{shop.slug}/robots.txt")
        assert robots.status_code == 200
        assert "Crawl-delay:" in robots.text and f"Disallow: /s/{shop.slug}/cart" in robots.text
        sitemap = client.get(f"/s/{shop.slug}/sitemap.xml")
        root = ET.fromstring(sitemap.content)
        locs = [e.text or "" for e in root.iter(f"{SM}loc")]
        if root.tag == f"{SM}sitemapindex":
            root = ET.fromstring(client.get(locs[0]).content)
            locs = [e.text or "" for e in root.iter(f"{SM}loc")]
        truth_urls = {o.product_url for o in server.market.truth(shop.slug)}
        assert truth_urls <= set(locs), shop.slug


def test_fx_feed_is_ecb_shaped(client: httpx.Client) -> None:
    r = client.get("/fx/eurofxref-daily.xml")
    root = ET.fromstring(r.content)
    assert root.tag == "{http://www.gesmes.org/xml/2002-08-01}Envelope"
    day_cube = next(c for c in root.iter(f"{ECB}Cube") if c.get("time"))
    assert day_cube.get("time") == "2025-11-03"
    rates = {c.get("currency"): float(c.get("rate") or 0) for c in day_cube}
    assert {"USD", "GBP", "CAD", "CHF"} <= set(rates) and all(v > 0 for v in rates.values())
    client.post("/_market/day", json={"day": 2})
    later = ET.fromstring(client.get("/fx/eurofxref-daily.xml").content)
    assert next(c for c in later.iter(f"{ECB}Cube") if c.get("time")).get("time") == "2025-11-05"


def test_shopify_products_json(client: httpx.Client, server: MarketServer) -> None:
    data = client.get("/s/greenleaf/products.json", params={"limit": 5, "page": 1}).json()
    assert len(data["products"]) == 5
    p = data["products"][0]
    assert {"id", "title", "handle", "vendor", "product_type", "tags", "variants"} <= set(p)
    v = p["variants"][0]
    assert isinstance(v["price"], str) and "available" in v and "option1" in v and "compare_at_price" in v
    assert "currency" not in str(data).lower()
    assert client.get("/s/greenleaf/products.json", params={"limit": 250, "page": 9}).json() == {
        "products": []
    }


def test_woo_store_api(client: httpx.Client) -> None:
    r = client.get("/s/hazehouse/wp-json/wc/store/v1/products", params={"per_page": 7, "page": 1})
    total, pages = int(r.headers["X-WP-Total"]), int(r.headers["X-WP-TotalPages"])
    assert pages == -(-total // 7) and len(r.json()) == 7
    variable = next(p for p in r.json() if p["type"] == "variable")
    assert variable["prices"]["currency_code"] == "EUR" and variable["prices"]["currency_minor_unit"] == 2
    vid = variable["variations"][0]["id"]
    v = client.get(f"/s/hazehouse/wp-json/wc/store/v1/products/{vid}").json()
    assert v["type"] == "variation" and v["parent"] == variable["id"] and v["prices"]["price"].isdigit()
    listing = client.get("/s/hazehouse/wp-json/wc/store/v1/products", params={"type": "variation"}).json()
    assert all(x["type"] == "variation" and x["parent"] for x in listing)
    assert client.get("/s/hazehouse/wp-json/wc/store/v1/products/1").status_code == 404


def test_html_listing_pagination(client: httpx.Client, server: MarketServer) -> None:
    first = client.get("/s/seedvault/seeds.html", params={"p": 1})
    assert first.status_code == 200 and 'rel="next"' in first.text and "itemscope" not in first.text
    assert client.get("/s/seedvault/seeds.html", params={"p": 99}).status_code == 404


def test_day_admin_changes_what_is_served(client: httpx.Client, server: MarketServer) -> None:
    assert client.get("/_market/day").json() == {"day": 0}
    assert client.post("/_market/day", json={"day": 4}).json() == {"day": 4}
    assert server.market.day == 4
    assert client.post("/_market/day", json={"day": -2}).status_code == 400
    data = client.get("/s/greenleaf/products.json", params={"limit": 250}).json()
    served = {(p["handle"], v["price"]) for p in data["products"] for v in p["variants"]}
    truth = {(o.product_id, str(o.price)) for o in server.market.truth("greenleaf", 4)}
    assert served == truth


def test_conditional_get(client: httpx.Client, server: MarketServer) -> None:
    url = server.market.truth("cloudnine")[0].product_url
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_request_log(client: httpx.Client, server: MarketServer) -> None:
    server.market.clear_requests()
    for _ in range(3):
        client.get("/s/packhaus/catalog", params={"page": 1})
    records = server.market.requests("packhaus")
    assert [r.path for r in records] == ["/s/packhaus/catalog?page=1"] * 3
    assert records[0].t < records[1].t < records[2].t
    over_http = client.get("/_market/requests", params={"shop": "packhaus"}).json()
    assert [r["t"] for r in over_http] == [r.t for r in records]
    assert server.market.requests("greenleaf") == []


def test_faults_over_http(client: httpx.Client, server: MarketServer) -> None:
    cfg = {
        "per_shop": {
            "budbox": {"error_rate": 1},
            "cloudnine": {"throttle_rate": 1},
            "packhaus": {"truncate_rate": 1},
            "seedvault": {"slow_rate": 1, "slow_seconds": 0.3},
            "plainseeds": {"malformed_rate": 1},
        }
    }
    assert client.post("/_market/faults", json=cfg).status_code == 200
    assert client.post("/_market/faults", json={"error_rate": 5}).status_code == 400
    assert client.get("/s/budbox/products.json").status_code == 500
    throttled = client.get("/s/cloudnine/strains/?page=1")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):  # a dropped connection
        client.get("/s/packhaus/catalog?page=1")
    with pytest.raises(httpx.ReadTimeout):  # the slow fault holds the answer back 0.3 s
        client.get("/s/seedvault/seeds.html?p=1", timeout=0.1)
    assert client.get("/s/seedvault/seeds.html?p=1").status_code == 200  # slow, but whole
    plain = client.get("/s/plainseeds/list.php?page=1")
    assert plain.status_code == 200 and plain.text.count("</") < plain.text.count("<") / 2
    assert client.get("/s/greenleaf/robots.txt").status_code == 200  # no override, no market-wide rate
    assert client.get("/_market/day").status_code == 200  # admin is never faulted
    assert client.post("/_market/faults", json={}).json()["per_shop"] == {}
    assert client.get("/s/budbox/products.json").status_code == 200


def test_market_wide_error_rate_is_partial(server: MarketServer) -> None:
    with httpx.Client(base_url=server.url) as c:
        c.post("/_market/faults", json={"error_rate": 0.3, "seed": 3})
        codes = [c.get("/s/greenleaf/robots.txt").status_code for _ in range(60)]
        c.post("/_market/faults", json={})
    assert 5 < codes.count(500) < 35 and codes.count(200) == 60 - codes.count(500)
