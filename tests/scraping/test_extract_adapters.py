"""Adapters on hand-written pages: the schema.org shapes, words and labels the market does not cover."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.extraction import read_page
from goodseed_dagster.scraping.extract import detect_platform, extract, links
from goodseed_dagster.scraping.extract.common import in_stock, text_price
from goodseed_dagster.scraping.models import Page

URL = "https://shop.example/p/gelato"


def ld_page(data: Any, extra: str = "") -> Page:
    body = f'<html><head>{extra}<script type="application/ld+json">{json.dumps(data)}</script></head></html>'
    return Page(URL, body.encode(), "text/html")


def test_stock_and_printed_prices() -> None:
    """(Pack, sex and flowering words are normalize's rules: tests/normalize/test_text_rules.py.)"""
    assert in_stock("https://schema.org/InStock") and in_stock("InStock") and in_stock("Sold out") is False
    assert in_stock("http://schema.org/OutOfStock") is False and in_stock("maybe") is None
    assert text_price("18,72 €") == (Decimal("18.72"), "EUR")
    assert text_price("$12.00", "CAD") == (Decimal("12.00"), "CAD")


def test_jsonld_graph_aggregate_offer_and_strings() -> None:
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "url": URL},
            {
                "@type": ["Product"],
                "name": "Gelato Auto Fem",
                "brand": "Blackskull",
                "url": URL + "#x",
                "offers": {
                    "@type": "AggregateOffer",
                    "lowPrice": "10",
                    "highPrice": "30",
                    "offers": [
                        {
                            "@type": "Offer",
                            "eligibleQuantity": {"@type": "QuantitativeValue", "value": "3"},
                            "priceSpecification": [
                                {"@type": "UnitPriceSpecification", "price": 10.5, "priceCurrency": "USD"},
                                {"priceType": "https://schema.org/StrikethroughPrice", "price": "12"},
                            ],
                            "availability": "InStock",
                        },
                        {
                            "@type": "Offer",
                            "name": "5 Seeds",
                            "price": 30,
                            "priceCurrency": "USD",
                            "availability": "https://schema.org/OutOfStock",
                        },
                    ],
                },
            },
        ],
    }
    a, b = read_page(ld_page(data))
    assert (a.url, a.pack_size, a.price, a.regular_price, a.currency, a.in_stock) == (
        URL,
        3,
        Decimal("10.5"),
        Decimal("12"),
        "USD",
        True,
    )
    assert (b.pack_size, b.price, b.in_stock, b.breeder, b.sex, b.flowering) == (
        5,
        Decimal("30"),
        False,
        "Blackskull",
        "feminized",
        "autoflower",
    )


def test_aggregate_offer_without_packs_is_not_split() -> None:
    data = {
        "@type": "Product",
        "name": "Gelato",
        "offers": {
            "@type": "AggregateOffer",
            "lowPrice": "10",
            "highPrice": "30",
            "offerCount": 3,
            "priceCurrency": "EUR",
        },
    }
    assert read_page(ld_page(data)) == []
    single = {
        "@type": "Product",
        "name": "Gelato 5 Seeds",
        "offers": {"@type": "AggregateOffer", "lowPrice": "10", "highPrice": "10", "priceCurrency": "EUR"},
    }
    (o,) = read_page(ld_page(single))
    assert (o.pack_size, o.price, o.sex) == (5, Decimal("10"), None)


def test_product_group_and_canonical_fallback() -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "ProductGroup",
        "name": "Skunk Regular",
        "brand": {"@type": "Brand", "name": "Sensi"},
        "hasVariant": [
            {"@type": "Product", "size": "10 seeds", "offers": {"price": "40", "priceCurrency": "GBP"}}
        ],
    }
    page = ld_page(data, '<link href="/p/skunk" rel="canonical">')
    (o,) = read_page(page)
    assert (o.url, o.pack_size, o.breeder, o.sex) == ("https://shop.example/p/skunk", 10, "Sensi", "regular")


def test_currency_fallback_and_opengraph() -> None:
    data = {"@type": "Product", "name": "X", "offers": [{"name": "3 Seeds", "price": "9.99"}]}
    assert read_page(ld_page(data), currency="CAD")[0].currency == "CAD"
    og = (
        '<html><head><meta property="og:title" content="Gelato 5 Seeds">'
        '<meta property="product:price:amount" content="25.00">'
        '<meta property="product:price:currency" content="EUR"></head></html>'
    )
    (o,) = read_page(Page(URL, og.encode()))
    assert (o.adapter, o.price, o.currency, o.pack_size) == ("opengraph", Decimal("25.00"), "EUR", 5)


def test_selectors_with_xpath() -> None:
    html = (
        '<html><body><h2 class="t">Lemon Haze Auto</h2><div class="row"><span>Pack of 3</span><b>£9.00</b>'
        "<i>Out of stock</i></div></body></html>"
    )
    sel = {
        "name": "//h2/text()",
        "variant_row": "div.row",
        "pack": "span::text",
        "price": "b::text",
        "stock": "./i",
    }
    (o,) = read_page(Page(URL, html.encode()), platform="selectors", selectors=sel, currency="EUR")
    assert (o.name, o.pack_size, o.price, o.currency, o.in_stock, o.flowering) == (
        "Lemon Haze Auto",
        3,
        Decimal("9.00"),
        "GBP",
        False,
        "autoflower",
    )


def test_shopify_json_shapes() -> None:
    data = {
        "products": [
            {
                "handle": "gelato",
                "title": "Gelato",
                "vendor": "B",
                "tags": "Regular, Photoperiod",
                "variants": [
                    {
                        "id": 1,
                        "title": "Default Title",
                        "price": "5.00",
                        "compare_at_price": "4.00",
                        "available": True,
                    }
                ],
            }
        ]
    }
    page = Page("https://s.example/products.json?page=2", json.dumps(data).encode(), "application/json")
    (o,) = read_page(page, currency="USD")
    assert (o.url, o.pack_size, o.regular_price, o.sex, o.flowering, o.currency) == (
        "https://s.example/products/gelato",
        None,
        None,
        "regular",
        "photoperiod",
        "USD",
    )
    assert links(page) == ["https://s.example/products.json?page=3"]
    assert detect_platform(page) == "shopify"


def test_woo_store_api_minor_units_and_pa_breeder() -> None:
    item = {
        "id": 9,
        "parent": 0,
        "type": "simple",
        "name": "Gelato Feminized",
        "permalink": "https://w.example/product/gelato/",
        "prices": {
            "price": "1999",
            "regular_price": "2499",
            "currency_code": "EUR",
            "currency_minor_unit": 2,
        },
        "is_in_stock": True,
        "attributes": [
            {"name": "Breeder", "taxonomy": "pa_breeder", "terms": [{"name": "Blackskull"}]},
            {"name": "Pack", "terms": [{"name": "5 Seeds"}]},
        ],
    }
    page = Page("https://w.example/wp-json/wc/store/v1/products?page=1", json.dumps([item]).encode())
    (o,) = read_page(page)
    assert (o.price, o.regular_price, o.currency, o.breeder, o.pack_size, o.product_id) == (
        Decimal("19.99"),
        Decimal("24.99"),
        "EUR",
        "Blackskull",
        5,
        "9",
    )


def test_unparseable_and_empty_pages() -> None:
    with pytest.raises(ExtractError):
        extract(Page(URL, b'{"products": [', "application/json"))
    assert extract(Page(URL, b"")) == []
    assert extract(Page(URL, b"<html><body><p>No products here</p></body></html>")) == []
    assert links(
        Page(URL, b'<a href="https://evil.example/x">x</a><a href="/cart">c</a><a href="/p/2">n</a>')
    ) == ["https://shop.example/p/2"]


def test_extraction_hands_on_the_pages_words_and_reads_none() -> None:
    """Pack, sex and flowering words stay words (variant, labels) for normalize's rules; only a pack the page
    states as a number (eligibleQuantity) is a pack size here."""
    data = {
        "@type": "Product",
        "name": "Gelato Auto Fem",
        "offers": [
            {"name": "5 Seeds", "price": "30", "priceCurrency": "USD"},
            {"eligibleQuantity": {"value": 10}, "price": "55", "priceCurrency": "USD"},
        ],
    }
    a, b = extract(ld_page(data))
    assert (a.name, a.variant, a.pack_size, b.variant, b.pack_size) == (
        "Gelato Auto Fem",
        "5 Seeds",
        None,
        None,
        10,
    )
    tags = {"products": [{"handle": "g", "title": "Gelato", "tags": "Feminised, Autoflower", "variants": [
        {"title": "3 Seeds", "price": "9.00"}]}]}  # fmt: skip
    (o,) = extract(Page("https://s.example/products.json", json.dumps(tags).encode(), "application/json"))
    assert (o.variant, o.labels, o.pack_size) == ("3 Seeds", "Feminised | Autoflower", None)
