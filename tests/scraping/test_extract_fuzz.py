"""Property tests: arbitrary HTML/JSON never makes an adapter raise anything but ExtractError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract import extract, links
from goodseed_dagster.scraping.models import Page, RawOffer

URL = "https://shop.example/s/x/page"
PLATFORMS = ["auto", "shopify", "woocommerce", "jsonld", "microdata", "selectors"]
SELECTORS = {
    "product_links": "a::attr(href)",
    "next_page": "//a[@rel='next']/@href",
    "variant_row": "tr",
    "pack": "td::text",
    "price": "td.p::text",
    "stock": "td.s",
    "name": "h1::text",
    "breeder": "[[bad",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "Product",
            "ProductGroup",
            "Offer",
            "AggregateOffer",
            "InStock",
            "5 Seeds",
            "variable",
            "variation",
            "simple",
            "https://schema.org/OutOfStock",
            "12.50",
            "-3",
            "1e999",
        ]
    ),
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "@type",
                    "@graph",
                    "offers",
                    "hasVariant",
                    "price",
                    "prices",
                    "name",
                    "brand",
                    "eligibleQuantity",
                    "priceSpecification",
                    "availability",
                    "products",
                    "variants",
                    "handle",
                    "permalink",
                    "type",
                    "currency_minor_unit",
                    "variations",
                    "id",
                    "value",
                    "url",
                    "priceType",
                    "lowPrice",
                    "highPrice",
                    "offerCount",
                    "option1",
                    "parent",
                ]
            ),
            kids,
            max_size=6,
        )
    ),
    max_leaves=25,
)
html_bits = st.lists(
    st.sampled_from(
        [
            "<html>",
            "<head>",
            "</head>",
            "<body>",
            '<script type="application/ld+json">',
            "</script>",
            "<div",
            ' itemscope itemtype="http://schema.org/Product">',
            '<span itemprop="name">',
            '<meta itemprop="price" content="x">',
            '<tr><td class="p">£1.0</td><td>5 Seeds</td></tr>',
            '<a href="/p?page=2" rel=next>',
            '<a href="javascript:x">',
            '<link rel=canonical href="//other.example/">',
            '{"@type": "Product"',
            'data-product_variations="[{&quot;display_price&quot;: 1}]"',
            '<meta property="og:price:amount" content="abc">',
            "\x00",
            "]]>",
            "<!--",
            "-->",
            "&#xffffff;",
            "<h1>",
            "Gelato Fem",
        ]
    ),
    max_size=30,
)


def _check(page: Page) -> None:
    for platform in PLATFORMS:
        for selectors in (None, SELECTORS):
            try:
                offers = extract(page, platform=platform, currency="EUR", selectors=selectors)  # type: ignore[arg-type]
            except ExtractError:
                offers = []
            assert all(isinstance(o, RawOffer) and o.url for o in offers)
            found = links(page, platform=platform, selectors=selectors)  # type: ignore[arg-type]
            assert all(u.startswith("https://shop.example/") for u in found)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes(body: bytes) -> None:
    _check(Page(URL, body))
    _check(Page(URL, body, "application/json"))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json(data: Any) -> None:
    body = json.dumps(data).encode()
    _check(Page(URL, body, "application/json"))
    _check(Page(URL, f'<script type="application/ld+json">{json.dumps(data)}</script>'.encode(), "text/html"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_bits, json_values)
def test_arbitrary_html(bits: list[str], data: Any) -> None:
    body = "".join(bits).replace(
        '{"@type": "Product"', json.dumps(data)[:-1] if isinstance(data, dict) else "{"
    )
    _check(Page(URL, body.encode("utf-8", errors="replace"), "text/html"))
