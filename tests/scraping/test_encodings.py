"""What a page's bytes mean: the HTTP charset, a byte-order mark and <meta charset> are honoured, text
that is not UTF-8 falls back to windows-1252, binary data is an error, and no extracted string carries a
lone surrogate or a control character."""

from __future__ import annotations

import codecs
import json
from decimal import Decimal

import pytest

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract import extract, links
from goodseed_dagster.scraping.extract.decoding import BINARY_REASON, clean, decode
from goodseed_dagster.scraping.models import Page

URL = "https://shop.example/p/creme"
NAME = "Crème Brûlée Fem 5 Seeds"


def woo_simple(head: str = "") -> str:
    return (
        f'<html><head>{head}</head><body><div class="product"><div class="summary">'
        f'<h1 class="product_title">{NAME}</h1><p class="price"><span class="woocommerce-Price-amount amount">'
        '£24.50</span></p><form class="cart"><button name="add-to-cart" value="1" '
        'class="single_add_to_cart_button">Add</button></form></div></div></body></html>'
    )


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        ('<meta charset="windows-1252">', "text/html"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', "text/html"),
        ("", "text/html; charset=windows-1252"),
        ('<meta charset="utf-8">', "text/html; charset=cp1252"),  # the HTTP header wins over the page
        ("", "text/html"),  # nothing declared and not UTF-8: windows-1252
        ("", None),
    ],
)
def test_a_windows_1252_page_keeps_its_pound_sign_and_its_name(head: str, content_type: str | None) -> None:
    page = Page(URL, woo_simple(head).encode("cp1252"), content_type)
    (offer,) = extract(page)
    assert (offer.name, offer.price, offer.currency) == (NAME, Decimal("24.50"), "GBP")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (codecs.BOM_UTF8 + woo_simple().encode(), "text/html"),
        (codecs.BOM_UTF16_LE + woo_simple().encode("utf-16-le"), "text/html"),
        (woo_simple().encode(), "text/html; charset=utf-8"),
        (woo_simple().encode(), None),
        (woo_simple('<meta charset="utf-8">').encode(), "text/html; charset=iso-8859-1"),  # a BOM-less lie
    ],
)
def test_utf8_and_byte_order_marks(body: bytes, content_type: str | None) -> None:
    (offer,) = extract(Page(URL, body, content_type))
    if "iso-8859-1" in (content_type or ""):  # the header is obeyed, as browsers do: mojibake, no crash
        assert offer.name == NAME.encode().decode("cp1252") and offer.currency == "GBP"
    else:
        assert (offer.name, offer.price, offer.currency) == (NAME, Decimal("24.50"), "GBP")


PRODUCTS = {
    "products": [
        {"handle": "creme", "title": "Crème Auto", "variants": [{"title": "5 Seeds", "price": "9.50"}]}
    ]
}


@pytest.mark.parametrize(
    "body",
    [
        codecs.BOM_UTF8 + json.dumps(PRODUCTS, ensure_ascii=False).encode(),
        codecs.BOM_UTF16_BE + json.dumps(PRODUCTS).encode("utf-16-be"),
        json.dumps(PRODUCTS, ensure_ascii=False).encode(),
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", None])
def test_json_with_a_byte_order_mark_parses(body: bytes, content_type: str | None) -> None:
    page = Page("https://shop.example/products.json", body, content_type)
    (offer,) = extract(page, currency="EUR")
    assert (offer.name, offer.variant, offer.price) == ("Crème Auto", "5 Seeds", Decimal("9.50"))
    assert links(page) == ["https://shop.example/products.json?page=2"]


def test_json_declared_latin1_and_undeclared_windows_1252() -> None:
    raw = json.dumps(PRODUCTS, ensure_ascii=False).encode("latin-1")
    for content_type in ("application/json; charset=iso-8859-1", "application/json"):
        (offer,) = extract(Page("https://shop.example/products.json", raw, content_type), currency="EUR")
        assert offer.name == "Crème Auto"


def test_sitemaps_honour_their_xml_declaration() -> None:
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><urlset><url><loc>https://shop.example/p/crème</loc></url></urlset>'
    assert links(Page("https://shop.example/sitemap.xml", body.encode("latin-1"), "application/xml")) == [
        "https://shop.example/p/crème"
    ]


def test_decode_never_raises_and_remembers_only_the_last_page() -> None:
    broken = Page(URL, b"<p>\xff\xfe\xfa caf\xc3\xa9</p>", "text/html; charset=utf-8")
    assert decode(broken) == "<p>\ufffd\ufffd\ufffd café</p>"
    unknown = Page(URL, b"<p>caf\xe9</p>", "text/html; charset=x-no-such-charset")
    assert decode(unknown) == "<p>café</p>"  # an unknown label is ignored: undeclared, not UTF-8


@pytest.mark.parametrize(
    "body",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200)),
        b"\x1f\x8b\x08\x00" + bytes((i * 37) % 256 for i in range(2000)),
    ],
)
def test_binary_data_is_an_error_not_an_empty_page(body: bytes) -> None:
    for content_type in (None, "text/html", "application/json"):
        with pytest.raises(ExtractError) as e:
            extract(Page(URL, body, content_type))
        assert e.value.reason == BINARY_REASON
    assert extract(Page(URL, body, "image/png")) == []  # typed as binary: simply no offers


def test_lone_surrogates_and_control_characters_never_leave_extraction() -> None:
    ld = (
        '{"@type": "Product", "name": "Gel\\ud800ato\\u0000 F\\u0007em", "brand": "Seeds\\udfffman", '
        '"sku": "A\\u001bB", "offers": {"price": "10", "priceCurrency": "EUR", "name": "5\\tseeds", "sku": "x\\ud83d"}}'
    )
    page = Page(URL, f'<script type="application/ld+json">{ld}</script>'.encode(), "text/html")
    (offer,) = extract(page)
    assert (offer.name, offer.breeder, offer.product_id, offer.variant) == (
        "Gel\ufffdato Fem",
        "Seeds\ufffdman",
        "AB",
        "5 seeds",
    )
    assert offer.extra["sku"] == "x\ufffd"
    for value in (offer.name, offer.breeder, offer.product_id, *offer.extra.values()):
        assert value is not None and value.encode("utf-8")  # never raises
    assert clean("tab\tnew\nline\r ok\x7f") == "tab\tnew\nline\r ok\x7f"


def test_urls_are_cleaned_and_links_with_control_characters_dropped() -> None:
    data = [
        {"id": 1, "type": "simple", "permalink": "https://shop.example/p/a\ud800", "prices": {"price": "1"}},
        {"id": 2, "type": "simple", "permalink": "https://shop.example/p/b", "prices": {"price": "1"}},
    ]
    page = Page(
        "https://shop.example/wp-json/wc/store/v1/products", json.dumps(data).encode(), "application/json"
    )
    assert [o.url for o in extract(page, currency="EUR")] == [
        "https://shop.example/p/a\ufffd",
        "https://shop.example/p/b",
    ]
    body = '<a href="/p/ok">x</a><a href="/p/a\x01b">y</a><a href="/p/&#xd800;">z</a>'
    assert links(Page(URL, body.encode(), "text/html")) == [
        "https://shop.example/p/ok",
        "https://shop.example/p/\ufffd",
    ]
