"""Data inside JavaScript and attributes: tied-to-page rules, empty shells, visible text, and fuzzing."""

from __future__ import annotations

import html
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.extraction import read_page, run_extract
from goodseed_dagster.scraping.extract import ShellPageError, extract
from goodseed_dagster.scraping.extract.dom import Doc
from goodseed_dagster.scraping.extract.magento import magento_configurable, magento_grouped
from goodseed_dagster.scraping.extract.price_reader import visible_price
from goodseed_dagster.scraping.extract.scripts import script_data, shopify_script
from goodseed_dagster.scraping.extract.woo_forms import woo_simple, woo_table, woo_variations
from goodseed_dagster.scraping.models import Page

URL = "https://shop.example/products/gelato-fem"
ADAPTERS = [
    woo_variations,
    woo_table,
    woo_simple,
    magento_grouped,
    magento_configurable,
    shopify_script,
    script_data,
    visible_price,
]
SHELL = (
    b'<!DOCTYPE html><html><head><title>Gelato | Shop</title><script src="/static/app.3f2a.js"></script>'
    b'<script>window.__STATE__={product:{name:"Sample Gelato 5 Seeds",price:"19.99",url:"/demo"}};</script>'
    b'</head><body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>'
    b"</body></html>"
)


def page(body: str, url: str = URL) -> Page:
    return Page(url, body.encode(), "text/html")


def test_empty_shell_is_one_stderr_line_and_exit_1(tmp_path: Any) -> None:
    (tmp_path / "shell.html").write_bytes(SHELL)
    out, err = io.StringIO(), io.StringIO()
    status = run_extract([str(tmp_path / "shell.html")], currency="USD", out=out, err=err)
    assert (status, out.getvalue()) == (1, "")
    (line,) = err.getvalue().splitlines()
    assert "rendered client-side" in line and "shell.html" in line
    with pytest.raises(ShellPageError):
        extract(Page(URL, SHELL, "text/html"))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"User-agent: *\nDisallow: /cart\n", "text/plain"),
        (
            b'<?xml version="1.0"?><urlset><url><loc>https://shop.example/a</loc></url></urlset>',
            "application/xml",
        ),
        (b'{"products": []}', "application/json"),
        (
            b"<html><body><h1>All seeds</h1><ul><li><a href='/p/1'>Gelato</a> from $9.99</li></ul></body></html>",
            None,
        ),
        (
            b'<html><body><div id="app"><h1>Seeds</h1>'
            + b"<p>Long server-rendered text.</p>" * 20
            + b"</div><script src=/a.js></script></body></html>",
            None,
        ),
    ],
)
def test_robots_sitemaps_json_and_listings_never_look_like_shells(
    body: bytes, content_type: str | None
) -> None:
    assert extract(Page(URL, body, content_type)) == []


def test_script_product_counts_only_when_tied_to_the_page() -> None:
    template = '<script>var widget = {product: {name: "Sample Product 5 Seeds", price: "9.99", url: "/sample"}};</script>'
    tied = '<script>var meta = {product: {name: "Gelato Fem", price: "24.50", handle: "gelato-fem", pack: "5 Seeds"}};</script>'
    assert read_page(page(f"<html><body><h1>Gelato Fem</h1>{template}</body></html>")) == []
    (o,) = read_page(page(f"<html><body><h1>Gelato Fem</h1>{template}{tied}</body></html>"), currency="EUR")
    assert (o.adapter, o.price, o.pack_size, o.currency, o.extra["tie"]) == (
        "script_data",
        Decimal("24.50"),
        5,
        "EUR",
        "handle",
    )


def test_schema_string_in_a_script_bundle_is_not_evidence() -> None:
    schema = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": "Gelato Fem",
            "offers": {"price": "5.00"},
        }
    )
    body = f"<html><body><h1>Gelato Fem</h1><p>Text</p><script>w.tpl = JSON.parse('{schema}');</script></body></html>"
    assert read_page(page(body)) == []


def test_shopify_product_json_in_cents_with_compare_at() -> None:
    product = {
        "id": 7, "handle": "gelato-fem", "title": "Gelato Fem", "vendor": "Blackskull",
        "variants": [
            {"id": 1, "option1": "3 Seeds", "price": 2400, "compare_at_price": 3000, "available": True},
            {"id": 2, "option1": "5 Seeds", "price": 3600, "compare_at_price": None, "available": False},
        ],
    }  # fmt: skip
    body = f'<html><body><script type="application/json" id="ProductJson-main">{json.dumps(product)}</script></body></html>'
    a, b = read_page(page(body), currency="GBP")
    assert (a.adapter, a.price, a.regular_price, a.pack_size, a.in_stock, a.breeder) == (
        "shopify_script",
        Decimal("24.00"),
        Decimal("30.00"),
        3,
        True,
        "Blackskull",
    )
    assert (b.price, b.in_stock, b.currency) == (Decimal("36.00"), False, "GBP")
    other = body.replace('"gelato-fem"', '"other-strain"').replace("Gelato Fem", "Other")
    assert read_page(page(other)) == []  # another product's JSON (quick view) is not this page's


def test_magento_configurable_json_config() -> None:
    config = {"#product_addtocart_form": {"configurable": {"spConfig": {
        "productId": "55",
        "attributes": {"93": {"code": "pack_size", "options": [
            {"id": "1", "label": "5 Seeds", "products": ["101"]}, {"id": "2", "label": "10 Seeds", "products": ["102"]}]}},
        "optionPrices": {"101": {"finalPrice": {"amount": 40}, "oldPrice": {"amount": 50}}, "102": {"finalPrice": {"amount": 70}, "oldPrice": {"amount": 70}}},
    }}}}  # fmt: skip
    body = f'<html><body><h1 class="page-title"><span class="base">Gelato Auto Fem</span></h1><script type="text/x-magento-init">{json.dumps(config)}</script></body></html>'
    a, b = read_page(page(body), currency="EUR")
    assert (a.adapter, a.pack_size, a.price, a.regular_price, a.name, a.flowering) == (
        "magento_configurable",
        5,
        Decimal(40),
        Decimal(50),
        "Gelato Auto Fem",
        "autoflower",
    )
    assert (b.pack_size, b.price, b.regular_price) == (10, Decimal(70), None)


def test_visible_text_reads_the_price_beside_the_title_and_skips_the_traps() -> None:
    body = """<html><body><div class="product"><h1>Gelato Feminized 5 Seeds</h1>
      <div class="price-box"><span class="old-price"><span class="price">$40.00</span></span>
      <span class="special-price"><span class="price">$32.00</span></span></div>
      <span class="save-badge">Save $8.00</span><div class="loyalty">Earn <span class="price">320</span> points</div>
      <div class="crypto-widget"><span class="price">0.00035 BTC</span></div>
      <p class="stock">In stock</p><button class="action tocart">Add to Cart</button></div>
      <section class="frequently-bought-together"><span class="price">$59.00</span></section>
      <aside class="related"><span class="price">$12.00</span></aside></body></html>"""
    (o,) = read_page(page(body), currency="USD")
    assert (o.adapter, o.price, o.regular_price, o.pack_size, o.in_stock, o.sex) == (
        "visible_text",
        Decimal("32.00"),
        Decimal("40.00"),
        5,
        True,
        "feminized",
    )
    ranged = body.replace(
        '<span class="old-price"><span class="price">$40.00</span></span>',
        '<span class="price">$99.00</span>',
    )
    assert read_page(page(ranged)) == []  # two current prices: a range, no guess
    no_cart = body.replace("Add to Cart", "Notify me").replace("tocart", "notify")
    assert read_page(page(no_cart)) == []  # not a product page


def test_woo_variations_skip_hidden_and_keep_sale_prices() -> None:
    variations = [
        {"attributes": {"attribute_pa_pack": "5-seeds"}, "display_price": 30, "display_regular_price": 40, "is_in_stock": True, "variation_id": 1},
        {"attributes": {"attribute_pa_pack": "10-seeds"}, "display_price": 55, "display_regular_price": 55, "is_in_stock": False, "variation_id": 2},
        {"attributes": {"attribute_pa_pack": "100-seeds"}, "display_price": 1, "variation_is_visible": False, "variation_id": 3},
    ]  # fmt: skip
    ld = {
        "@type": "Product",
        "name": "Gelato Fem",
        "brand": "Blackskull",
        "offers": {"@type": "AggregateOffer", "lowPrice": "30", "highPrice": "55", "priceCurrency": "CAD"},
    }
    body = (
        f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
        f'<form class="variations_form cart" data-product_id="9" data-product_variations="{html.escape(json.dumps(variations))}">'
        '<select name="attribute_pa_pack"><option>5 Seeds</option><option>10 Seeds</option><option>100 Seeds</option></select></form></body></html>'
    )
    a, b = read_page(page(body), currency="USD")
    assert (a.pack_size, a.price, a.regular_price, a.in_stock, a.currency, a.name, a.breeder) == (
        5,
        Decimal(30),
        Decimal(40),
        True,
        "CAD",
        "Gelato Fem",
        "Blackskull",
    )
    assert (b.pack_size, b.regular_price, b.in_stock) == (10, None, False)
    assert (a.extra["price_source"], a.extra["name_source"], a.extra["currency_source"]) == (
        "woo_variations",
        "jsonld",
        "jsonld",
    )


def test_woo_simple_product_with_the_pack_in_the_title() -> None:
    body = """<html><body><div class="product type-product"><div class="summary entry-summary">
      <h1 class="product_title">Gelato Auto 3 Seeds</h1><p class="price"><del><span class="woocommerce-Price-amount amount">£30.00</span></del>
      <ins><span class="woocommerce-Price-amount amount">£24.00</span></ins></p><p class="stock in-stock">12 in stock</p>
      <form class="cart"><input name="quantity" type="number"><button name="add-to-cart" value="77" class="single_add_to_cart_button">Add to basket</button></form>
      </div></div><section class="related products"><span class="price"><span class="woocommerce-Price-amount amount">£9.00</span></span></section></body></html>"""
    (o,) = read_page(page(body))
    assert (o.adapter, o.pack_size, o.price, o.regular_price, o.currency, o.in_stock, o.flowering) == (
        "woo_simple",
        3,
        Decimal(24),
        Decimal(30),
        "GBP",
        True,
        "autoflower",
    )


js_bits = st.lists(
    st.sampled_from(
        ["var product = ", "{", "}", "[", "]", ",", ":", "price", "'5 Seeds'", '"19.99"', "1999", "variants",
         "handle", '"gelato-fem"', "name", "title", '"Gelato Fem"', "JSON.parse(", ")", "\\", "\\u00", "\x00",
         "1e999", "NaN", "undefined", "function(){", "`", "/*", "*/", "//", "\n", '"@type"', "'", '"', "null",
         "-", "0x1F", "&quot;", "</script>", "<script>", "available", "true", "optionPrices", "attributes"]
    ),
    max_size=40,
).map("".join)  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12)
    | st.sampled_from(["5-seeds", "19.99", "-3", "1e999", "5 Seeds", "yes"]),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["attributes", "display_price", "display_regular_price", "is_in_stock", "variation_id",
                         "price", "variants", "handle", "title", "optionPrices", "finalPrice", "amount", "options",
                         "products", "label", "salable", "variation_is_visible", "is_purchasable"]), kids, max_size=6),
    max_leaves=20,
)  # fmt: skip


def _every_adapter(body: str) -> None:
    doc = Doc(page(body), body, "USD")
    for adapter in ADAPTERS:
        assert isinstance(adapter(doc), list)
    try:
        offers = extract(page(body), currency="USD")
    except ExtractError:
        offers = []
    assert all(o.url for o in offers)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(js_bits | st.text(max_size=200))
def test_arbitrary_js_never_crashes(js: str) -> None:
    _every_adapter(f"<html><body><h1>Gelato Fem</h1><script>{js}</script></body></html>")
    _every_adapter(
        f'<script type="application/json" id="ProductJson-x">{js}</script><script type="text/x-magento-init">{js}</script>'
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.text(max_size=30))
def test_arbitrary_attribute_json_never_crashes(value: Any, cell: str) -> None:
    attr = html.escape(json.dumps(value))
    text = html.escape(cell)
    _every_adapter(
        f'<form class="variations_form cart" data-product_variations="{attr}"></form>'
        f'<table id="super-product-table"><tbody><tr class="instock"><td><strong class="product-item-name">{text} 5 Seeds</strong>'
        f'<span data-price-amount="{text}" data-price-type="finalPrice"><span class="price">{text}</span></span></td>'
        f'<td data-price="{text}"><input type="number" name="super_group[1]"><input type="hidden" name="pvt_variation_availability" value="{text}">'
        f'<button class="add_to_cart">Add</button></td></tr></tbody></table>'
        f'<script type="text/x-magento-init">{json.dumps({"x": {"jsonConfig": value}})}</script>'
    )
