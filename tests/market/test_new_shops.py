"""The real-platform shops (WooCommerce variation form + table, Magento 2 grouped) end to end."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from goodseed_dagster.extraction import read_page
from goodseed_dagster.market import Market, MarketServer, serve
from goodseed_dagster.scraping.models import Page

NEW = {"maplebuds": ("wooform", "USD"), "northvault": ("grouped", "GBP")}


@pytest.fixture(scope="module")
def server() -> Iterator[MarketServer]:
    with serve(Market(products_per_shop=40), port=0) as s:
        yield s


def test_new_shops_are_configured_like_the_others() -> None:
    market = Market()
    for slug, (layout, currency) in NEW.items():
        shop = market.shop(slug)
        assert (shop.layout, shop.currency, shop.platform) == (layout, currency, "auto")
    assert set(NEW) <= {e["slug"] for e in market.source_configs()}  # so the per-shop crawl test covers them


@pytest.mark.parametrize(
    ("slug", "adapters"),
    [("maplebuds", {"woo_variations", "woo_table"}), ("northvault", {"magento_grouped"})],
)
def test_product_pages_use_the_platform_adapters(server: MarketServer, slug: str, adapters: set[str]) -> None:
    truth = server.market.truth(slug)
    urls = list(dict.fromkeys(o.product_url for o in truth))[:20]
    seen: set[str] = set()
    with httpx.Client(timeout=10) as client:
        for url in urls:
            r = client.get(url)
            body = r.text
            assert "frequently-bought-together" in body or "reviewWidget" in body  # the traps are there
            offers = read_page(
                Page(url, r.content, r.headers["content-type"]), currency=server.market.shop(slug).currency
            )
            want = {
                (o.pack_size, o.price, o.regular_price, o.in_stock) for o in truth if o.product_url == url
            }
            assert {(o.pack_size, o.price, o.regular_price, o.in_stock) for o in offers} == want
            seen |= {o.adapter for o in offers}
            assert all(o.extra["price_source"] == o.adapter for o in offers)
    assert seen == adapters
