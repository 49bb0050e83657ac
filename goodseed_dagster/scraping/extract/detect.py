"""Platform auto-detection from a page's body (cheap checks, no DOM)."""

from __future__ import annotations

import re
from typing import Any

from goodseed_dagster.scraping.extract.decoding import decode, load_json, looks_like_json
from goodseed_dagster.scraping.extract.shopify import is_shopify
from goodseed_dagster.scraping.extract.structured import has_jsonld_product
from goodseed_dagster.scraping.extract.woocommerce import is_store_api
from goodseed_dagster.scraping.models import Page, Platform

_MICRODATA = re.compile(r"itemtype=[\"']?https?://schema\.org/Product\b", re.I)


def detect_json(data: Any) -> Platform | None:
    if is_shopify(data):
        return "shopify"
    if is_store_api(data):
        return "woocommerce"
    return None


def detect_platform(page: Page) -> Platform:
    """shopify / woocommerce (JSON APIs or Woo product pages), jsonld, microdata, else selectors."""
    if looks_like_json(page):
        try:
            found = detect_json(load_json(page))
        except (ValueError, RecursionError):
            found = None
        if found:
            return found
    source = decode(page)
    if "data-product_variations" in source:
        return "woocommerce"
    if has_jsonld_product(source):
        return "jsonld"
    if _MICRODATA.search(source):
        return "microdata"
    if "cdn.shopify.com" in source or "Shopify.theme" in source:
        return "shopify"
    return "selectors"
