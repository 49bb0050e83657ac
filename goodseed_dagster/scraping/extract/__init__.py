"""Extraction adapters: fetched Page -> RawOffers, plus the links worth crawling next.

Adapters: Shopify products.json, WooCommerce Store API, per-seller selector configs (parsel), and for
HTML product pages the buy-form adapters (WooCommerce variation forms and pack tables, Magento 2
grouped/configurable, Shopify product JSON), schema.org JSON-LD (fast path, no DOM) and microdata,
script data, OpenGraph and the visible-price reader (price_reader, money), in the precedence
documented in `reconcile`; page_facts adds the categories and stock a page states outside its offers.
JSON payloads are recognised by content (shopify, woocommerce), not by URL. An empty JavaScript shell
raises ShellPageError (an ExtractError) instead of yielding guessed offers; `no_offer_reason` says why a
page that parsed yields no offer.

Every scan is linear in the page (tags.py), each page gets a CPU budget (budget.py, PAGE_BUDGET_S by
default) after which it is an ExtractError, binary bodies are an ExtractError rather than "no offers",
and every text an offer carries is safe to encode (decoding.clean).
"""

from __future__ import annotations

from collections.abc import Mapping

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract.budget import PAGE_BUDGET_S, BudgetExceeded, checkpoint, page_budget
from goodseed_dagster.scraping.extract.decoding import (
    BINARY_REASON,
    clean_offers,
    decode,
    is_binary,
    load_json,
    looks_like_json,
    safe_urls,
)
from goodseed_dagster.scraping.extract.detect import detect_json, detect_platform
from goodseed_dagster.scraping.extract.dom import Doc
from goodseed_dagster.scraping.extract.linking import dedupe, html_links, is_sitemap, sitemap_links
from goodseed_dagster.scraping.extract.reconcile import html_offers
from goodseed_dagster.scraping.extract.selectors import SELECTOR_KEYS, selector_links, selector_offers
from goodseed_dagster.scraping.extract.shopify import (
    is_products_json,
    is_shopify,
    next_products_page,
    shopify_json,
)
from goodseed_dagster.scraping.extract.visible_text import ShellPageError
from goodseed_dagster.scraping.extract.woocommerce import is_store_api, store_api, store_api_links
from goodseed_dagster.scraping.models import Page, Platform, RawOffer

__all__ = [
    "PAGE_BUDGET_S",
    "SELECTOR_KEYS",
    "BudgetExceeded",
    "ShellPageError",
    "detect_platform",
    "extract",
    "links",
    "no_offer_reason",
]


def extract(
    page: Page,
    *,
    platform: Platform = "auto",
    currency: str | None = None,
    selectors: dict[str, str] | None = None,
    budget_s: float | None = PAGE_BUDGET_S,
) -> list[RawOffer]:
    """Every pack offer the page states ([] when none); ExtractError if it cannot be parsed at all, is
    binary data, or needs more than `budget_s` CPU seconds (None: no budget)."""
    try:
        with page_budget(page.url, budget_s):
            return clean_offers(_extract(page, platform, currency, selectors))
    except ExtractError:
        raise
    except Exception as e:  # the contract: adapters never leak other exception types to the pipeline
        raise ExtractError(page.url, f"{type(e).__name__}: {e}") from e


def _extract(
    page: Page, platform: Platform, currency: str | None, selectors: Mapping[str, str] | None
) -> list[RawOffer]:
    if not page.body.strip():
        return []
    if is_binary(page):
        if looks_like_json(page) or _html(page):
            raise ExtractError(page.url, BINARY_REASON)
        return []  # an image or an archive: never offers, never an error
    if looks_like_json(page):
        try:
            data = load_json(page)
        except (ValueError, RecursionError) as e:
            if decode(page, markup=False).lstrip()[:1] in ("{", "["):
                raise ExtractError(page.url, f"invalid JSON: {e}") from e
        else:
            kind = platform if platform in ("shopify", "woocommerce") else detect_json(data)
            if kind == "shopify" and is_shopify(data):
                return shopify_json(page, data, currency)
            if kind == "woocommerce" and is_store_api(data):
                return store_api(page, data, currency)
            return []
    if is_sitemap(page.body) or not _html(page):
        return []
    if selectors and (
        platform == "selectors" or (platform == "auto" and detect_platform(page) == "selectors")
    ):
        return selector_offers(page, selectors, currency)
    checkpoint()
    return html_offers(Doc(page, decode(page), currency), platform)


def no_offer_reason(page: Page) -> str:
    """Why a page that parsed yields no offer, in one line (`goodseed extract` prints it and exits 1)."""
    if not page.body.strip():
        return "empty file"
    if is_binary(page):
        return "binary data, not a page"
    if looks_like_json(page):
        try:
            data = load_json(page)
        except (ValueError, RecursionError):
            return "not valid JSON"
        if is_shopify(data):
            return "Shopify payload without priced variants"
        if is_store_api(data):
            return (
                "WooCommerce Store API items without a per-pack price (variable products: see /products/<id>)"
            )
        return "JSON that is not a shop payload (Shopify products/product, WooCommerce Store API)"
    if is_sitemap(page.body):
        return "a sitemap: links to pages, no offers"
    if not _html(page):
        return f"not an HTML page ({page.content_type})"
    return (
        "no structured price, shop form, script data, or visible price beside a product title and buy button"
    )


def _html(page: Page) -> bool:
    """HTML (or untyped) bodies only: robots.txt, CSS, JS and images never hold offers."""
    ct = (page.content_type or "").lower()
    return not ct or "html" in ct or "xml" in ct


def links(
    page: Page,
    *,
    platform: Platform = "auto",
    selectors: dict[str, str] | None = None,
    budget_s: float | None = PAGE_BUDGET_S,
) -> list[str]:
    """Absolute same-site URLs worth crawling next: pagination, product pages, sitemap entries, API pages.
    A page past its CPU budget raises BudgetExceeded (the crawl notes it on the page's record)."""
    try:
        with page_budget(page.url, budget_s):
            return safe_urls(dedupe(_links(page, platform, selectors), page.url))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return []


def _links(page: Page, platform: Platform, selectors: Mapping[str, str] | None) -> list[str]:
    if not page.body.strip():
        return []
    if looks_like_json(page):
        try:
            data = load_json(page)
        except (ValueError, RecursionError):
            return []
        if is_products_json(data):
            return next_products_page(page, data)
        if is_store_api(data) or (isinstance(data, list) and not data):
            return store_api_links(page, data)
        return []
    if is_sitemap(page.body):
        return sitemap_links(decode(page), page.url)
    if (
        selectors
        and platform in ("auto", "selectors")
        and (selectors.get("product_links") or selectors.get("next_page"))
    ):
        return selector_links(page, selectors)
    return html_links(decode(page), page.url)
