"""Shopify product payloads: /products.json (a page of products), /products/<handle>.json (`{"product": ...}`)
and /products/<handle>.js (the product itself, prices in cents). Every variant is an offer; no currency
in any of them (the seller's config supplies it). The content says which form it is, not the URL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import decimal, joined, text
from goodseed_dagster.scraping.models import Page, RawOffer


def is_products_json(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("products"), list)


def _is_product(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("handle"), str)
        and isinstance(data.get("variants"), list)
    )


def is_shopify(data: Any) -> bool:
    """A products.json page, a `{"product": {...}}` payload, or a bare product object (the .js form)."""
    return (
        is_products_json(data)
        or (isinstance(data, dict) and _is_product(data.get("product")))
        or _is_product(data)
    )


def products_of(data: Any) -> list[Any]:
    if is_products_json(data):
        return list(data["products"])
    return [data["product"]] if isinstance(data, dict) and _is_product(data.get("product")) else [data]


def _price(value: Any) -> Decimal | None:
    """A variant price: a string is in units ("45.00", the .json forms); an integer is in cents (the .js
    form and the cart API print prices only so)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (Decimal(value) / 100).quantize(Decimal("0.01"))
    return decimal(value)


def _store_root(page_url: str) -> str:
    """The shop root for product URLs: everything before products.json (or /collections/...)."""
    parts = urlsplit(page_url)
    path = parts.path
    for marker in ("/collections/", "/products.json", "/products/"):
        if marker in path:
            path = path[: path.index(marker)]
            break
    else:
        path = path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/", "", ""))


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",")]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def shopify_json(page: Page, data: Any, currency: str | None) -> list[RawOffer]:
    """Offers of a products.json page (one per variant); the tags are the product's labels."""
    root = _store_root(page.url)
    out: list[RawOffer] = []
    for product in products_of(data):
        checkpoint()
        if not isinstance(product, dict) or not isinstance(product.get("handle"), str):
            continue
        handle = product["handle"]
        title = text(product.get("title"))
        tags = joined(*_tags(product.get("tags")))
        for v in [v for v in product.get("variants") or [] if isinstance(v, dict)]:
            price, was = _price(v.get("price")), _price(v.get("compare_at_price"))
            available = v.get("available")
            out.append(
                RawOffer(
                    url=f"{root}products/{handle}",
                    name=title,
                    breeder=text(product.get("vendor")),
                    variant=text(v.get("title"))
                    or joined(v.get("option1"), v.get("option2"), v.get("option3"), sep=" / "),
                    labels=tags,
                    price=price,
                    currency=currency,
                    in_stock=available if isinstance(available, bool) else None,
                    product_id=handle,
                    regular_price=was if was is not None and price is not None and was > price else None,
                    adapter="shopify",
                    extra={
                        k: str(x)
                        for k, x in (
                            ("id", product.get("id")),
                            ("variant_id", v.get("id")),
                            ("sku", v.get("sku")),
                        )
                        if x is not None
                    },
                )
            )
    return out


def next_products_page(page: Page, data: Any) -> list[str]:
    """The next products.json page while this one is non-empty (Shopify ends with an empty list)."""
    if not data.get("products"):
        return []
    parts = urlsplit(page.url)
    query = dict(parse_qsl(parts.query))
    try:
        query["page"] = str(int(query.get("page", "1")) + 1)
    except ValueError:
        return []
    return [urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))]
