"""WooCommerce Store API (/wp-json/wc/store/v1/products); product pages are read by woo_forms.

Variable products list their variations by id only; each variation's price and stock come from
/products/<variation id>, which links() hands to the crawler.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import absolute, decimal, joined, text
from goodseed_dagster.scraping.models import Page, RawOffer

_BREEDER_KEYS = ("pa_breeder", "breeder", "pa_brand", "brand")


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
        if isinstance(attr, dict) and _is_breeder(attr):
            terms = [t for t in attr.get("terms") or [] if isinstance(t, dict)]
            if terms:
                return text(terms[0].get("name"))
    return None


def _variant(item: dict[str, Any]) -> str | None:
    """A variation's option values ("Pack Size: 5 Seeds" -> "5 Seeds"); for a simple product, the values of
    its single-valued attributes other than the breeder."""
    if text(item.get("variation")):
        return joined(*(part.split(":", 1)[-1] for part in str(item["variation"]).split(",")), sep=" / ")
    values = []
    for attr in item.get("attributes") or []:
        terms = (
            [t for t in (attr.get("terms") or []) if isinstance(t, dict)] if isinstance(attr, dict) else []
        )
        if len(terms) == 1 and not _is_breeder(attr):
            values.append(terms[0].get("name"))
    return joined(*values, sep=" / ")


def _is_breeder(attr: dict[str, Any]) -> bool:
    return str(attr.get("taxonomy") or attr.get("name") or "").lower() in _BREEDER_KEYS


def store_api(page: Page, data: Any, currency: str | None) -> list[RawOffer]:
    """Offers from simple products and variations (variable parents carry no per-pack price); the product's
    categories are its labels."""
    out = []
    for item in data if isinstance(data, list) else [data]:
        checkpoint()
        if not isinstance(item, dict) or item.get("type") not in ("simple", "variation"):
            continue
        prices = item.get("prices")
        price, regular = _money(prices, "price"), _money(prices, "regular_price")
        name = text(item.get("name"))
        url = absolute(item.get("permalink"), page.url) or _saved(item.get("permalink"), page.url)
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
                variant=_variant(item),
                labels=joined(*(c.get("name") for c in item.get("categories") or [] if isinstance(c, dict))),
                price=price,
                currency=cur or currency,
                in_stock=stock if isinstance(stock, bool) else None,
                product_id=str(parent) if parent is not None else None,
                regular_price=regular
                if regular is not None and price is not None and regular > price
                else None,
                adapter="woocommerce",
                extra={"id": str(item.get("id"))},
            )
        )
    return out


def _saved(permalink: Any, page_url: str) -> str | None:
    """A payload read from a saved file (no site to compare with): its own web permalink stands."""
    if not page_url.startswith("file:") or not isinstance(permalink, str):
        return None
    return permalink if permalink.startswith(("http://", "https://")) else None


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
