"""Adapters on hand-written pages: the schema.org shapes, words and labels the market does not cover."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract import detect_platform, extract, links
from goodseed_dagster.scraping.extract.common import flowering_of, in_stock, pack_size, sex_of, text_price
from goodseed_dagster.scraping.models import Page

URL = "https://shop.example/p/gelato"


def ld_page(data: Any, extra: str = "") -> Page:
    body = f'<html><head>{extra}<script type="application/ld+json">{json.dumps(data)}</script></head></html>'
    return Page(URL, body.encode(), "text/html")


@pytest.mark.parametrize(
    ("label", "n"),
    [
        ("5 Feminised Seeds", 5),
        ("1 Single Regular Seed", 1),
        ("Pack of 10", 10),
        ("Single Seed", 1),
        ("3 seeds", 3),
        ("Gelato Auto Fem 5 Seeds", 5),
        ("Gorilla Glue #4 Fem 10 Seeds", 10),
        ("x25", 25),
        ("10-pack", 10),
        ("Gelato", None),
        ("Cindy 99 Feminized Cannabis Seeds", None),
        ("", None),
    ],
)
def test_pack_size(label: str, n: int | None) -> None:
    assert pack_size(label) == n


def test_words_never_guess() -> None:
    assert sex_of("Gelato Feminised Seeds") == "feminized" and sex_of("Skunk Reg") == "regular"
    assert sex_of("Gelato") is None and sex_of("Fem and Regular mix") is None
    assert flowering_of("Big Bud Autoflowering") == "autoflower" and flowering_of("Auto Fem") == "autoflower"
    assert flowering_of("Photoperiod") == "photoperiod" and flowering_of("Automatic Gelato") is None
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
    a, b = extract(ld_page(data))
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
    assert extract(ld_page(data)) == []
    single = {
        "@type": "Product",
        "name": "Gelato 5 Seeds",
        "offers": {"@type": "AggregateOffer", "lowPrice": "10", "highPrice": "10", "priceCurrency": "EUR"},
    }
    (o,) = extract(ld_page(single))
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
    (o,) = extract(page)
    assert (o.url, o.pack_size, o.breeder, o.sex) == ("https://shop.example/p/skunk", 10, "Sensi", "regular")


def test_currency_fallback_and_opengraph() -> None:
    data = {"@type": "Product", "name": "X", "offers": [{"name": "3 Seeds", "price": "9.99"}]}
    assert extract(ld_page(data), currency="CAD")[0].currency == "CAD"
    og = (
        '<html><head><meta property="og:title" content="Gelato 5 Seeds">'
        '<meta property="product:price:amount" content="25.00">'
        '<meta property="product:price:currency" content="EUR"></head></html>'
    )
    (o,) = extract(Page(URL, og.encode()))
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
    (o,) = extract(Page(URL, html.encode()), platform="selectors", selectors=sel, currency="EUR")
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
    (o,) = extract(page, currency="USD")
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
    (o,) = extract(page)
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
