"""Hostile pages cost their size, not its square: repeated openers, huge forms, many script objects,
nested items and tables. Each page is built here at about 1 MB; before linear scans some of these took
hours. The runtime bound is the timeout marker, the assertions are on what comes out: offers or links
read, or a clean ExtractError (never a hang and never another exception)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract import PAGE_BUDGET_S, BudgetExceeded, budget, extract, links
from goodseed_dagster.scraping.extract import linking as linking_memo
from goodseed_dagster.scraping.frontier import RESOLVED_MAX_BYTES, Frontier
from goodseed_dagster.scraping.link_parsers import collect_links
from goodseed_dagster.scraping.models import Page, RawOffer, SourceConfig
from goodseed_dagster.scraping.netguard import seller_origins
from goodseed_dagster.scraping.parse import parse_pages
from goodseed_dagster.scraping.results import CrawlResult

URL = "https://shop.example/p/gelato"
MB = 1_000_000


def repeated(unit: str, prefix: str = "<html><body>") -> bytes:
    return (prefix + unit * (MB // len(unit))).encode()


def outcome(page: Page) -> list[RawOffer] | str:
    try:
        return extract(page, currency="EUR")
    except ExtractError as e:
        return e.reason


OPENERS = ["<link ", "<script ", "<script>", "<a ", "<a href=x ", "<meta ", "<div ", "<noscript ", "<form ",
           "<input ", "<loc>", "<", '<script type="application/ld+json">', '<script type="text/x-magento-init">',
           '<meta itemprop="priceCurrency" ', '<link rel="canonical" ', '<a href="', "<tr><td>", "<head>",
           '<input name="add-to-cart" ', '<div itemscope itemtype="http://schema.org/Product" ']  # fmt: skip


@pytest.mark.timeout(120)
@pytest.mark.parametrize("unit", OPENERS)
def test_repeated_openers_that_never_close(unit: str) -> None:
    page = Page(URL, repeated(unit, '<html><body class="postid-7"><div id="root"></div><script>x</script>'))
    result = outcome(page)
    assert result == [] or "client-side" in str(result)  # nothing to read, or the shell verdict
    assert links(page) == [] or unit.startswith("<a")


@pytest.mark.timeout(60)
def test_repeated_anchors_give_their_links() -> None:
    body = "".join(f'<a href="/p/{i}">' for i in range(MB // 16))
    found = links(Page(URL, body.encode(), "text/html"))
    assert len(found) == MB // 16 and found[1] == "https://shop.example/p/1"


def variations_page(n: int) -> Page:
    variations = [
        {"attributes": {"attribute_pa_pack": f"{i}-seeds"}, "display_price": 10 + i, "variation_id": i,
         "display_regular_price": 12 + i, "is_in_stock": True}
        for i in range(n)
    ]  # fmt: skip
    body = (
        '<html><head><script type="application/ld+json">{"@type":"Product","name":"Gelato","brand":"Seedsman",'
        '"offers":{"priceCurrency":"GBP"}}</script></head><body class="postid-5"><h1 class="product_title">Gelato</h1>'
        '<form class="variations_form cart" data-product_id="5" data-product_variations="'
        f'{html.escape(json.dumps(variations))}"></form>'
        '<table class="shop_attributes"><tr><th>Breeder</th><td>Seedsman</td></tr></table></body></html>'
    )
    return Page(URL, body.encode(), "text/html")


@pytest.mark.timeout(60)
def test_a_variations_form_of_ten_thousand_entries() -> None:
    offers = extract(variations_page(10_000))
    assert len(offers) == 10_000
    last = offers[-1]
    assert (last.variant, last.price, last.currency, last.name, last.breeder) == (
        "9999 seeds",
        Decimal(10_009),
        "GBP",
        "Gelato",
        "Seedsman",
    )


@pytest.mark.timeout(60)
def test_many_script_objects_none_tied_to_the_page() -> None:
    objects = "".join(
        f'<script>var p{i} = {{"name": "Other {i}", "price": "{i}.00", "id": {i}}};</script>'
        for i in range(12_000)
    )
    body = (
        f'<html><body class="postid-99999"><h1>Gelato</h1><input name="add-to-cart" value="99999">{objects}'
    )
    assert extract(Page(URL, body.encode(), "text/html")) == []


@pytest.mark.timeout(60)
def test_scripts_of_thousands_of_objects_and_the_tied_one_last() -> None:
    objects = "".join(
        f'var p{i} = {{"name": "Other {i}", "price": "{i}.00", "id": {i}}};' for i in range(1_000)
    )
    tied = 'var p = {"name": "Gelato", "price": "9.50", "id": 99999};'
    scripts = f"<script>{objects}</script>" * 20 + f"<script>{objects}{tied}</script>"
    body = f'<html><body class="postid-99999"><h1>Gelato</h1>{scripts}'
    (offer,) = extract(Page(URL, body.encode(), "text/html"))
    assert (offer.price, offer.extra["tie"]) == (Decimal("9.50"), "id")


@pytest.mark.timeout(60)
def test_nested_microdata_items_and_nested_tables() -> None:
    item = '<div itemscope itemtype="http://schema.org/Product"><span itemprop="name">Gelato</span>'
    offer = '<div itemprop="offers" itemscope itemtype="http://schema.org/Offer"><meta itemprop="price" content="1"></div>'
    nested = Page(URL, repeated(offer, "<html><body>" + item * 200), "text/html")
    offers = extract(nested, currency="EUR")
    assert len(offers) == MB // len(offer) and offers[0].name == "Gelato"
    tables = '<p class="woocommerce-Price-amount">qty</p>' + "<table><tr><td>" * 80
    row = '<tr><td>5 Seeds</td><td><span class="amount">1</span></td></tr>'
    assert isinstance(outcome(Page(URL, repeated(row, "<html><body>" + tables), "text/html")), list)
    deep = '<p class="woocommerce-Price-amount">qty</p>' + "<div>" * 250
    table = '<table><tr><td>5 Seeds</td><td><span class="amount">1</span></td></tr></table>'
    assert isinstance(outcome(Page(URL, repeated(table, "<html><body>" + deep), "text/html")), list)


@pytest.mark.timeout(60)
def test_deep_price_blocks_read_once() -> None:
    head = '<html><body><div><h1>Gelato 5 Seeds</h1><button class="single_add_to_cart_button">Add to cart</button>'
    page = Page(
        URL, repeated('<span class="amount">£5</span>', head + '<div class="price">' * 240), "text/html"
    )
    (offer,) = extract(page)
    assert (offer.price, offer.currency, offer.adapter) == (Decimal(5), "GBP", "visible_text")


@pytest.mark.timeout(60)
def test_nested_brand_elements_read_once() -> None:
    head = (
        '<html><body><div class="product"><div class="summary"><h1 class="product_title">Gelato</h1>'
        '<p class="price"><span class="amount">£5</span></p><form class="cart"><button name="add-to-cart">Add'
        '</button></form></div></div><table class="shop_attributes"><tr><th>Seeds</th><td>5</td></tr></table>'
    )
    page = Page(
        URL, repeated('<span itemprop="name"></span>', head + '<div itemprop="brand">' * 240), "text/html"
    )
    (offer,) = extract(page)
    assert (offer.price, offer.breeder) == (Decimal(5), None)


@pytest.mark.timeout(60)
def test_a_long_digit_run_is_not_a_printed_price() -> None:
    head = '<html><body><div><h1>Gelato 5 Seeds</h1><button class="single_add_to_cart_button">Add to cart</button>'
    page = Page(URL, f'{head}<span class="price">{"1" * 200_000}</span>'.encode(), "text/html")
    assert extract(page) == []


@pytest.fixture
def counting_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A CPU clock that advances 1 ms per reading: the budget then counts checkpoints, not seconds."""
    ticks = iter(range(10**9))
    monkeypatch.setattr(budget, "cpu_clock", lambda: next(ticks) / 1000)
    yield


@pytest.mark.timeout(60)
def test_a_page_over_its_budget_is_quarantined_and_the_parse_goes_on(counting_clock: None) -> None:
    small = variations_page(3)
    source = SourceConfig(slug="shop", name="Shop", base_url="https://shop.example/")
    result = parse_pages([small, variations_page(5_000), small], source)  # 5,000 checkpoints: 5 "s"
    assert result.pages == 3 and len(result.offers) == 3 and result.duplicates == 3
    assert result.errors == [(URL, f"extraction exceeded the {PAGE_BUDGET_S:g} s budget")]
    assert len(parse_pages([variations_page(5_000)], source, budget_s=None).offers) == 5_000


@pytest.mark.timeout(60)
def test_links_over_the_budget_fail_that_page_only(counting_clock: None) -> None:
    big = Page(URL, "".join(f'<a href="/p/{i}">' for i in range(300_000)).encode(), "text/html")
    with pytest.raises(BudgetExceeded):
        links(big, budget_s=0.1)  # a checkpoint every 512 links: 586 "ms"
    small = Page(URL, b'<a href="/p/1">', "text/html")
    found = collect_links(lambda p: links(p, budget_s=0.1), [big, small])
    assert isinstance(found[0], str) and "exceeded the 0.1 s budget" in found[0]
    assert found[1] == ["https://shop.example/p/1"]


def test_link_memos_are_bounded_in_bytes() -> None:
    long_tail = "x" * 300
    for n in range(12):  # 96,000 hrefs of ~320 characters: twice the bound
        body = "".join(f'<a href="/p/{n}-{i}-{long_tail}">' for i in range(8_000))
        links(Page(f"https://shop.example/c/{n}", body.encode(), "text/html"))
        assert linking_memo._resolved_bytes <= linking_memo.RESOLVED_MAX_BYTES + 8_000 * 1_000
    memo = sum(len(k) + len(v or "") for d in linking_memo._RESOLVED.values() for k, v in d.items())
    assert memo <= linking_memo.RESOLVED_MAX_BYTES
    long_tail = "x" * 480
    frontier = Frontier(
        seller_origins("https://shop.example/", []), max_pages=1, result=CrawlResult(seller="s")
    )
    for n in range(20):  # 100,000 links of ~500 characters: three times the bound
        frontier.discover(f"https://shop.example/c/{n}", [f"/p/{n}-{i}-{long_tail}" for i in range(5_000)])
        assert frontier.resolved_bytes <= RESOLVED_MAX_BYTES + 5_000 * 1_500
    assert sum(len(k if isinstance(k, str) else k[1]) for k in frontier.resolved) <= RESOLVED_MAX_BYTES
