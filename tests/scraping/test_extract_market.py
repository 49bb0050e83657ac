"""Acceptance: crawl every market shop naively over HTTP with links() and extract() (read by the text rules)
exactly its truth."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import httpx
import pytest

from goodseed_dagster.extraction import StatedOffer, read_page
from goodseed_dagster.market import Market, MarketServer, TruthOffer, serve
from goodseed_dagster.scraping.extract import detect_platform, extract, links
from goodseed_dagster.scraping.models import Page, SourceConfig

SHOPS = [s.slug for s in Market().shops]


@pytest.fixture(scope="module")
def server() -> Iterator[MarketServer]:
    with serve(Market(), port=0) as s:
        yield s


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def fetch(client: httpx.Client, url: str) -> Page:
    r = client.get(url)
    return Page(url, r.content, r.headers.get("content-type"), r.status_code, dict(r.headers))


def crawl(client: httpx.Client, cfg: SourceConfig, limit: int = 2000) -> tuple[list[StatedOffer], int]:
    """Breadth-first from the entry points, following links() inside the shop, no politeness; each page's
    offers through extraction and normalize's text rules (`goodseed extract`'s path)."""
    todo = [cfg.url(e) for e in cfg.entry_points]
    seen, offers, fetched = set(todo), [], 0
    while todo and fetched < limit:
        page = fetch(client, todo.pop(0))
        fetched += 1
        if page.status == 200:
            offers += read_page(page, platform=cfg.platform, currency=cfg.currency, selectors=cfg.selectors)
        for url in links(page, platform=cfg.platform, selectors=cfg.selectors):
            assert url.startswith(cfg.base_url.split("/s/")[0]), url  # never off-site
            if url not in seen and url.startswith(cfg.base_url):
                seen.add(url)
                todo.append(url)
    return offers, fetched


def assert_matches(offers: list[StatedOffer], truth: list[TruthOffer]) -> None:
    got = {(o.url, o.pack_size or 0): o for o in offers}
    want = {o.key: o for o in truth}
    assert len(got) == len(offers), "duplicate offers"
    assert set(got) == set(want), (sorted(set(want) - set(got))[:3], sorted(set(got) - set(want))[:3])
    for key, t in want.items():
        o = got[key]
        assert (o.price, o.currency, o.in_stock, o.regular_price) == (
            t.price,
            t.currency,
            t.in_stock,
            t.regular_price,
        ), key
        assert o.name == t.title and o.breeder == t.breeder, key
        assert o.sex in (None, t.sex) and o.flowering in (None, t.flowering), key
        assert o.adapter


@pytest.mark.parametrize("slug", SHOPS)
def test_crawl_extracts_exactly_the_truth(server: MarketServer, client: httpx.Client, slug: str) -> None:
    server.market.day = 0
    cfg = next(SourceConfig(**e) for e in server.market.source_configs(server.url) if e["slug"] == slug)
    offers, fetched = crawl(client, cfg)
    assert fetched < 2000
    assert_matches(offers, server.market.truth(slug))


@pytest.mark.parametrize("slug", ["greenleaf", "hazehouse", "plainseeds"])
def test_crawl_follows_the_clock(server: MarketServer, client: httpx.Client, slug: str) -> None:
    server.market.day = 3
    try:
        cfg = next(SourceConfig(**e) for e in server.market.source_configs(server.url) if e["slug"] == slug)
        offers, _ = crawl(client, cfg)
        assert_matches(offers, server.market.truth(slug, 3))
    finally:
        server.market.day = 0


@pytest.mark.parametrize("slug", SHOPS)
def test_product_pages_auto_detected(server: MarketServer, client: httpx.Client, slug: str) -> None:
    """Every shop's HTML product pages (Shopify/Woo too) extract exactly, with auto-detection (speed: bench/crawl.py)."""
    cfg = next(SourceConfig(**e) for e in server.market.source_configs(server.url) if e["slug"] == slug)
    by_url: dict[str, list[TruthOffer]] = defaultdict(list)
    for o in server.market.truth(slug):
        by_url[o.product_url].append(o)
    for url, truth in list(by_url.items())[:25]:
        page = fetch(client, url)
        offers = read_page(page, currency=cfg.currency, selectors=cfg.selectors)
        assert_matches(offers, truth)
        assert detect_platform(page) in ("jsonld", "microdata", "woocommerce", "selectors")


def test_sex_and_flowering_only_when_stated(server: MarketServer, client: httpx.Client) -> None:
    data = fetch(client, f"{server.url}/s/greenleaf/products.json?limit=250")
    offers = read_page(data, currency="GBP")
    truth = {o.key: o for o in server.market.truth("greenleaf")}
    assert all(o.sex == truth[(o.url, o.pack_size or 0)].sex for o in offers)  # title says it
    assert all(o.flowering == truth[(o.url, o.pack_size or 0)].flowering for o in offers)  # tags say it
    vault = server.market.truth("seedvault")[0]
    page_offers = read_page(fetch(client, vault.product_url))
    assert page_offers[0].flowering in (None, "autoflower")  # photoperiod is never written there


def test_sitemap_links(server: MarketServer, client: httpx.Client) -> None:
    index = fetch(client, f"{server.url}/s/greenleaf/sitemap.xml")
    (child,) = links(index)
    urls = links(fetch(client, child))
    assert {o.product_url for o in server.market.truth("greenleaf")} <= set(urls)
    assert extract(index) == []


def test_woo_links_without_headers(server: MarketServer, client: httpx.Client) -> None:
    url = f"{server.url}/s/hazehouse/wp-json/wc/store/v1/products?per_page=5&page=1"
    page = fetch(client, url)
    bare = Page(page.url, page.body, page.content_type)
    nxt = [u for u in links(bare) if "page=2" in u]
    assert nxt and all("page=2" in u for u in nxt)
    last = fetch(client, url.replace("page=1", "page=999"))
    assert links(last) == [] and extract(last) == []
