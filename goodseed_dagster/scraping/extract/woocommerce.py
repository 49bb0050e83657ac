"""WooCommerce Store API (/wp-json/wc/store/v1/products); product pages are read by woo_forms.

Variable products list their variations by id only; each variation's price and stock come from
/products/<variation id>, which links() hands to the crawler.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from goodseed_dagster.scraping.extract.common import (
    absolute,
    decimal,
    flowering_of,
    pack_size,
    sex_of,
    text,
)
from goodseed_dagster.scraping.models import Page, RawOffer

_VARIATIONS = re.compile(r"data-product_variations=(?:\"([^\"]*)\"|'([^']*)')", re.I)
_H1 = re.compile(r"<h1\b[^>]*product_title[^>]*>(.*?)</h1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_PRODUCT_ID = re.compile(r"data-product_id=[\"']?(\d+)", re.I)


def is_store_api(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(isinstance(i, dict) and "prices" in i and "permalink" in i for i in items)


def _money(prices: Any, key: str) -> Decimal | None:
    if not isinstance(prices, dict):
        return None
    amount = decimal(prices.get(key))
    minor = prices.get("currency_minor_unit", 2)
    if amount is None or not isinstance(minor, int) or not 0 <= minor <= 8:
        return None
    return (amount / Decimal(10) ** minor).quantize(Decimal(1).scaleb(-minor))


def _breeder(item: dict[str, Any]) -> str | None:
    for b in item.get("brands") or []:
        if isinstance(b, dict) and text(b.get("name")):
            return text(b.get("name"))
    for attr in item.get("attributes") or []:
        if isinstance(attr, dict) and str(attr.get("taxonomy") or attr.get("name") or "").lower() in (
            "pa_breeder",
            "breeder",
            "pa_brand",
            "brand",
        ):
            terms = [t for t in attr.get("terms") or [] if isinstance(t, dict)]
            if terms:
                return text(terms[0].get("name"))
    return None


def _pack_label(item: dict[str, Any]) -> str | None:
    if text(item.get("variation")):
        return text(str(item["variation"]).split(":", 1)[-1])
    for attr in item.get("attributes") or []:
        terms = (
            [t for t in (attr.get("terms") or []) if isinstance(t, dict)] if isinstance(attr, dict) else []
        )
        if len(terms) == 1 and pack_size(text(terms[0].get("name"))):
            return text(terms[0].get("name"))
    return None


def store_api(page: Page, data: Any, currency: str | None) -> list[RawOffer]:
    """Offers from simple products and variations (variable parents carry no per-pack price)."""
    out = []
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict) or item.get("type") not in ("simple", "variation"):
            continue
        prices = item.get("prices")
        price, regular = _money(prices, "price"), _money(prices, "regular_price")
        name, label = text(item.get("name")), _pack_label(item)
        url = absolute(item.get("permalink"), page.url)
        if url is None:
            continue
        stock = item.get("is_in_stock")
        parent = item.get("parent") if item.get("type") == "variation" else item.get("id")
        cur = text(prices.get("currency_code")) if isinstance(prices, dict) else None
        out.append(
            RawOffer(
                url=urlunsplit(urlsplit(url)._replace(query="")),
                name=name,
                breeder=_breeder(item),
                sex=sex_of(name, label),
                flowering=flowering_of(name, label),
                pack_size=pack_size(label) or (pack_size(name) if item.get("type") == "simple" else None),
                price=price,
                currency=cur or currency,
                in_stock=stock if isinstance(stock, bool) else None,
                product_id=str(parent) if parent is not None else None,
                variant=label,
                regular_price=regular
                if regular is not None and price is not None and regular > price
                else None,
                adapter="woocommerce",
                extra={"id": str(item.get("id"))},
            )
        )
    return out


def store_api_links(page: Page, data: Any) -> list[str]:
    """Next listing page (below X-WP-TotalPages, or while pages come back full) and variation URLs."""
    parts = urlsplit(page.url)
    path = parts.path
    root = path[: path.index("/products") + len("/products")] if "/products" in path else path
    out = []
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict) and item.get("type") == "variable":
            for v in item.get("variations") or []:
                if isinstance(v, dict) and isinstance(v.get("id"), int):
                    out.append(urlunsplit((parts.scheme, parts.netloc, f"{root}/{v['id']}", "", "")))
    if isinstance(data, list) and data and path.rstrip("/").endswith("/products"):
        query = dict(parse_qsl(parts.query))
        try:
            current, per_page = int(query.get("page", "1")), int(query.get("per_page", "10"))
        except ValueError:
            return out
        headers = {k.lower(): v for k, v in (page.headers or {}).items()}
        try:
            total = int(headers["x-wp-totalpages"])
        except (KeyError, ValueError):
            total = current + 1 if len(data) >= per_page else current
        if current < total:
            query["page"] = str(current + 1)
            out.append(urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), "")))
    return out
