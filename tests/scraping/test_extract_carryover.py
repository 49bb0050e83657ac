"""Issue #18: extraction that carries over to shops nobody tuned it for. Each class with pages built here
(never copies of the peb-dev pages): visible prices (class 5), JSON payloads saved to files (class 1),
a file that yields no offer (class 6), structured data written loosely (lowercase types, printed prices)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from goodseed_dagster.extraction import evidence_of, listing_frame, listings_evidence, read_page, run_extract
from goodseed_dagster.scraping.extract import extract
from goodseed_dagster.scraping.extract.money import page_locale, read_currency, read_number
from goodseed_dagster.scraping.models import Page


def html_page(body: str, url: str = "https://tienda.example.com.ar/p/gelato") -> Page:
    return Page(url, body.encode(), "text/html")


def run(
    tmp_path: Path, name: str, body: str | bytes, *, explain: bool = False
) -> tuple[int, list[dict[str, Any]], str]:
    path = tmp_path / name
    path.write_bytes(body.encode() if isinstance(body, str) else body)
    out, err = io.StringIO(), io.StringIO()
    status = run_extract([str(path)], explain=explain, out=out, err=err)
    return status, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


@pytest.mark.parametrize(
    ("printed", "amount"),
    [("$2.449", "2449"), ("1.234,56 €", "1234.56"), ("1 234,56 zł", "1234.56"), ("CHF 1'234.50", "1234.50"),
     ("12.345.678", "12345678"), ("€ 36,40", "36.40"), ("US$19.99", "19.99"), ("30,000원~", "30000"),
     ("44\u00a0890 тг.", "44890")],
)  # fmt: skip
def test_separators_are_read_by_rule(printed: str, amount: str) -> None:
    assert read_number(printed) == Decimal(amount)


def test_currency_by_symbol_then_page_country() -> None:
    ar, us = page_locale("es-AR", "https://x.example/"), page_locale(None, "https://shop.example.com/")
    assert (read_currency("$2.449", ar), read_currency("$24.49", us)) == ("ARS", "USD")
    assert page_locale(None, "https://tienda.example.com.ar/p").country == "AR"  # the host's country code
    assert read_currency("45,00 zł", us) == "PLN" and read_currency("EUR 5", us) == "EUR"
    assert read_currency("AMD Radeon Vega 56", us) is None  # a code counts only beside its number
    assert read_currency("12,50", us, hint="EUR") == "EUR"


VISIBLE = """<html lang="es-AR"><head><title>Gelato Feminizada x5 | Tienda</title></head><body>
<header><h1 class="logo">Tienda</h1><a href="/cart" class="minicart">Carrito $0</a></header>
<main><div class="product"><h1 class="name">Gelato Feminizada x5</h1>
 <div class="prices"><del class="p">$3.100</del> <span class="amount-now">$2.449</span></div>
 <p class="cuotas"><span>6 x</span> <span class="p">$408</span></p>
 <p>Envío: <span class="price">$900</span></p>
 <p class="unit"><span class="price">$490</span> / semilla</p>
 <form action="/carrito/agregar" method="post"><button type="submit">Agregar al carrito</button></form>
</div>
<section class="related-products"><a href="/p/otra"><span class="price">$1.999</span></a></section>
<div class="grid"><a href="/p/otra-mas"><h3>Otra</h3><span class="price">$1.499</span></a></div>
</main></body></html>"""


def test_visible_price_beside_title_and_buy_button_skips_the_traps() -> None:
    (o,) = extract(html_page(VISIBLE))
    assert (o.adapter, o.price, o.currency, o.regular_price) == (
        "visible_text",
        Decimal(2449),
        "ARS",
        Decimal(3100),
    )
    why = o.extra["price_candidates"]
    rejected = {part.split(" -> ")[0]: part for part in why.split(" | ") if "rejected" in part}
    assert {"'$3.100'", "'$408'", "'$900'", "'$490'", "'$1.999'"} <= set(
        rejected
    )  # struck, 6 x, envío, / semilla, related


def test_the_title_is_the_heading_naming_the_product() -> None:
    body = (
        '<html><head><meta property="og:title" content="[Shop] Blue Dream Auto 3 pcs"></head><body>'
        "<h1>Deal of the day</h1><div><h1>Other deal</h1><span class='price'>9,90 €</span></div>"
        '<div class="deal"><h2>Blue Dream Auto 3 pcs</h2><strong class="sale">24,90 €</strong>'
        '<button class="btn">In den Warenkorb</button></div></body></html>'
    )
    (o,) = extract(html_page(body, "https://shop.example.de/d/1"))
    assert (o.price, o.currency) == (Decimal("24.90"), "EUR")


def test_two_current_prices_in_one_block_give_no_offer_and_say_so(tmp_path: Path) -> None:
    ranged = VISIBLE.replace('<del class="p">$3.100</del>', '<span class="amount-now">$3.100</span>')
    assert extract(html_page(ranged)) == []
    status, offers, err = run(tmp_path, "ranged.html", ranged)
    assert (status, offers) == (1, [])
    (line,) = err.splitlines()
    assert "ranged.html: no offer: " in line and "visible price" in line


def test_explain_lists_the_candidates_weighed(tmp_path: Path) -> None:
    status, (o,), _ = run(tmp_path, "p.html", VISIBLE, explain=True)
    assert status == 0 and o["price_source"] == "visible_text"
    first = o["price_candidates"].split(" | ")[0]
    assert first.startswith("'$2.449' -> 2449") and "title distance" in first and "buy distance" in first


def test_loosely_written_structured_data() -> None:
    ld = {
        "@type": "product",
        "name": "Gelato",
        "offers": {"@type": "offer", "price": "49.00", "priceCurrency": "GBP"},
    }
    body = (
        f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head><body></body></html>'
    )
    (o,) = extract(html_page(body))
    assert (o.adapter, o.price, o.currency) == ("jsonld", Decimal("49.00"), "GBP")
    micro = (
        '<html><body><div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Gelato</h1>'
        '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="priceCurrency" '
        'content="EUR"><span itemprop="price">1.026,00 €</span></div></div></body></html>'
    )
    (m,) = extract(html_page(micro))
    assert (m.adapter, m.price, m.currency) == ("microdata", Decimal("1026.00"), "EUR")
    free = body.replace('"49.00"', '"0"')
    assert extract(html_page(free))[0].price is None  # price 0 is "on request", never a free pack


SHOPIFY = {"id": 1, "title": "Night Moves", "handle": "night-moves", "vendor": "Bodhi", "tags": "Feminized",
           "variants": [{"id": 11, "title": "5 seeds", "price": "45.00", "compare_at_price": "50.00", "available": True},
                        {"id": 12, "title": "10 seeds", "price": "80.00", "available": False}]}  # fmt: skip
WOO = {"id": 7, "name": "Gelato Auto", "type": "simple", "permalink": "https://seeds.example/product/gelato-auto/",
       "prices": {"price": "3000", "regular_price": "3500", "currency_code": "EUR", "currency_minor_unit": 2},
       "is_in_stock": True, "attributes": [], "categories": [{"name": "Autoflowering"}]}  # fmt: skip


def _js_form(product: dict[str, Any]) -> dict[str, Any]:
    cents = [
        {**v, "price": int(Decimal(v["price"]) * 100), "compare_at_price": None} for v in product["variants"]
    ]
    return {**product, "price": cents[0]["price"], "variants": cents}


@pytest.mark.parametrize(
    ("name", "payload"),
    [("night-moves.json", {"product": SHOPIFY}), ("night-moves.js", _js_form(SHOPIFY)), ("products.json", {"products": [SHOPIFY]})],
)  # fmt: skip
def test_shopify_payloads_saved_to_files(tmp_path: Path, name: str, payload: Any) -> None:
    status, offers, err = run(tmp_path, name, json.dumps(payload))
    assert (status, err) == (0, "")
    assert [(o["pack_size"], o["price"], o["in_stock"], o["sex"]) for o in offers] == [
        (5, "45.00", True, "feminized"),
        (10, "80.00", False, "feminized"),
    ]


@pytest.mark.parametrize("payload", [[WOO], WOO])
def test_store_api_list_or_single_object_saved_to_a_file(tmp_path: Path, payload: Any) -> None:
    status, (o,), err = run(tmp_path, "store.json", json.dumps(payload))
    assert (status, err) == (0, "")
    assert (o["url"], o["price"], o["currency"], o["flowering"]) == (
        WOO["permalink"],
        "30.00",
        "EUR",
        "autoflower",
    )
    variation = {**WOO, "type": "variation", "parent": 6, "variation": "Packs: 5-seeds", "is_in_stock": False}
    status, (v,), _ = run(tmp_path, "variation.json", json.dumps(variation))
    assert (status, v["pack_size"], v["in_stock"]) == (0, 5, False)  # the Store API attribute and stock flag


@pytest.mark.parametrize(
    ("body", "reason"),
    [('{"hello": 1}', "not a shop payload"), ("", "empty file"),
     ('{"product": {"handle": "x", "variants": []}}', "Shopify payload without priced variants"),
     ("<html><body><p>About us</p></body></html>", "no structured price")],
)  # fmt: skip
def test_a_file_without_offers_is_one_line_and_exit_1(tmp_path: Path, body: str, reason: str) -> None:
    status, offers, err = run(tmp_path, "x.json" if body.startswith("{") else "x.html", body)
    assert (status, offers) == (1, [])
    (line,) = err.splitlines()
    assert ": no offer: " in line and reason in line


def ld_page(product: dict[str, Any], body: str = "", extra_ld: list[dict[str, Any]] | None = None) -> Page:
    blocks = "".join(
        f'<script type="application/ld+json">{json.dumps(d)}</script>' for d in [product, *(extra_ld or [])]
    )
    return html_page(
        f"<html><head>{blocks}</head><body>{body}</body></html>", "https://seeds.example/p/gelato"
    )


PLAIN = {
    "@type": "Product",
    "name": "Gelato",
    "offers": {"@type": "Offer", "price": "30", "priceCurrency": "EUR"},
}


def test_sex_and_flowering_from_category_and_kind_properties() -> None:
    product = {**PLAIN, "category": "Cannabis Seeds > Autoflowering",
               "additionalProperty": [{"@type": "PropertyValue", "name": "Sex", "value": "Feminized"},
                                      {"@type": "PropertyValue", "name": "Parents", "value": "Regular Skunk x Photo OG"}]}  # fmt: skip
    (o,) = read_page(ld_page(product))
    assert (o.sex, o.flowering, o.extra["sex_source"]) == ("feminized", "autoflower", "jsonld")


def test_sex_and_flowering_from_breadcrumbs_and_category_links_never_menus() -> None:
    crumbs = {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "Home"}, {"@type": "ListItem", "position": 2, "name": "Regular Seeds"}]}  # fmt: skip
    body = (
        '<aside class="widget"><a href="/c/auto">Autoflowering</a><a href="/c/fem">Feminized</a></aside>'
        '<div class="product_meta"><span class="posted_in">Category: <a href="/c/photo" rel="tag">Photoperiod</a></span></div>'
    )
    (o,) = read_page(ld_page(PLAIN, body, [crumbs]))
    assert (o.sex, o.flowering, o.extra["flowering_source"]) == ("regular", "photoperiod", "categories")
    html_crumbs = (
        '<nav class="woocommerce-breadcrumb"><a href="/">Home</a> / <a href="/c/f">Feminised Seeds</a></nav>'
    )
    (h,) = read_page(ld_page(PLAIN, html_crumbs))
    assert (h.sex, h.flowering) == ("feminized", None)  # what the page does not say stays unknown


@pytest.mark.parametrize(
    ("label", "pack"),
    [("Night Moves - 5-seeds", 5), ("attribute_pa_packs=5-seeds", 5), ("x5", 5), ("5 pcs", 5), ("Pack of 5", 5),
     ("5er", 5), ("5 semillas", 5), ("5 graines", 5), ("5 zaden", 5), ("5 semi", 5), ("10_seeds", 10)],
)  # fmt: skip
def test_pack_size_in_the_forms_variants_use(tmp_path: Path, label: str, pack: int) -> None:
    product = {**SHOPIFY, "variants": [{"id": 1, "title": label, "price": "45.00", "available": True}]}
    status, (o,), _ = run(tmp_path, "p.json", json.dumps({"products": [product]}))
    assert (status, o["pack_size"]) == (0, pack)


@pytest.mark.parametrize(
    ("body", "stock"),
    [('<p class="stock out-of-stock">Agotado</p><button class="single_add_to_cart_button">Add to cart</button>', False),
     ('<p class="availability">Auf Lager</p>', True),
     ('<h1>Gelato</h1><form class="cart"><button class="add-to-cart">Add to cart</button></form>', True),
     ('<h1>Gelato</h1><form class="cart"><button class="add-to-cart" disabled>Add to cart</button></form>', False),
     ('<div><h1>Gelato</h1><select name="pack"><option>5</option></select>'
      '<button class="add-to-cart" disabled>Add to cart</button></div>', None)],
)  # fmt: skip
def test_stock_from_the_page_when_the_data_does_not_say(body: str, stock: bool | None) -> None:
    (o,) = extract(ld_page(PLAIN, body))
    assert o.in_stock is stock
    assert o.extra.get("in_stock_source") == ("page" if stock is not None else None)


def test_a_structured_price_the_page_strikes_through_gives_way_to_the_sale_price() -> None:
    product = {**PLAIN, "offers": {"@type": "Offer", "price": "40.00", "priceCurrency": "EUR"}}
    body = (
        '<div class="summary"><h1>Gelato</h1><div class="prices"><span class="old-price">40,00 €</span>'
        '<span class="sale-price">32,00 €</span></div><button class="add-to-cart">Add to cart</button></div>'
    )
    (o,) = extract(ld_page(product, body))
    assert (o.price, o.regular_price, o.extra["price_source"]) == (
        Decimal("32.00"),
        Decimal("40.00"),
        "visible_text",
    )
    unstruck = body.replace('class="old-price"', 'class="other"')  # two current prices: the data stands
    (kept,) = extract(ld_page(product, unstruck))
    assert (kept.price, kept.regular_price) == (Decimal("40.00"), None)


def test_evidence_scorecard_says_which_facts_rest_on_the_visible_page() -> None:
    pages = [ld_page({**PLAIN, "brand": "Barneys Farm"}, '<p class="stock">In stock</p>'), html_page(VISIBLE)]
    offers = [(page.url, offer) for page in pages for offer in extract(page)]
    card = {r["field"]: r for r in listings_evidence(listing_frame(offers)).iter_rows(named=True)}
    assert (card["price"]["structured"], card["price"]["visible"]) == (0.5, 0.5)
    assert (card["breeder"]["structured"], card["breeder"]["visible"]) == (0.5, 0.0)
    assert card["in_stock"]["visible"] == 1.0  # a stock text and a visible buy box: both read from the page
    assert [evidence_of(s) for s in ("woo_variations", "microdata", "config", "title")] == [
        "platform", "structured", "config", "visible"]  # fmt: skip
