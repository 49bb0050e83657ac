"""Product data inside <script> tags: Shopify's product JSON and objects assigned in inline scripts.

Data in JavaScript counts only when it is tied to this page: its handle/URL is the page's path, its id
is the page's own product id (body `postid-N`, the add-to-cart form's product), or its title is the
page's product title. Script bundles often carry a template product (a widget's demo schema, the last
viewed item, a recommendation feed); without a tie it is not evidence. schema.org-typed objects inside
scripts are never read (JSON-LD counts only from ld+json tags). Inline scripts are parsed with chompjs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import chompjs

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import decimal, in_stock, joined, text
from goodseed_dagster.scraping.extract.dom import Doc
from goodseed_dagster.scraping.models import RawOffer

_PRODUCT_JSON = re.compile(r"ProductJson|product-json|data-product-json|product_json", re.I)
_SRC = re.compile(r"\bsrc=", re.I)
_MAX_SCRIPT = 400_000
_PACK_KEYS = ("size", "pack")  # a product object's own pack label (its title/name is the product's)
_VARIANT_KEYS = ("option1", "option2", "option3", "public_title", "title", "name", *_PACK_KEYS)


def _scripts(doc: Doc) -> Iterator[tuple[str, str]]:
    """(attributes, body) of every inline script that is not JSON-LD."""
    for attrs, body in doc.scripts:
        checkpoint()
        if _SRC.search(attrs) or "ld+json" in attrs.lower() or len(body) > _MAX_SCRIPT:
            continue
        yield attrs, body


def _norm(value: Any) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(value).lower()).strip() if isinstance(value, str) else ""


def _path(url: str) -> str:
    try:
        return urlsplit(url).path.rstrip("/").lower()
    except ValueError:
        return ""


def tied(doc: Doc, obj: dict[str, Any]) -> str | None:
    """How a script object is tied to this page ("url", "handle", "id", "title"), or None."""
    paths = {p for p in (_path(doc.url), _path(doc.page.url)) if p}
    for key in ("url", "permalink", "link", "product_url", "canonical_url"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip() and _path(value.strip()) in paths:
            return "url"
    handle = obj.get("handle") or obj.get("slug")
    if isinstance(handle, str) and handle and any(p.endswith("/" + handle.lower()) for p in paths):
        return "handle"
    for key in ("id", "product_id", "productId", "item_id"):
        if str(obj.get(key)) in doc.product_ids:
            return "id"
    title = _norm(doc.title)
    if title and any(_norm(obj.get(k)) == title for k in ("title", "name", "item_name")):
        return "title"
    return None


def _price(value: Any, cents: bool) -> Decimal | None:
    if cents and isinstance(value, int) and not isinstance(value, bool):
        return (Decimal(value) / 100).quantize(Decimal("0.01"))
    return decimal(value)


def _stock(v: dict[str, Any]) -> bool | None:
    for key in ("available", "is_in_stock", "in_stock", "inStock", "availability", "stock_status"):
        if key in v and (s := in_stock(v[key])) is not None:
            return s
    return None


def _offers(doc: Doc, obj: dict[str, Any], adapter: str, tie: str) -> list[RawOffer]:
    """A product object's variants (or the object itself) as offers."""
    cents = isinstance(obj.get("handle"), str) and isinstance(obj.get("variants"), list)
    name = text(obj.get("title")) or text(obj.get("name"))
    raw = obj.get("variants")
    variants = [v for v in raw if isinstance(v, dict)] if isinstance(raw, list) else [obj]
    out = []
    for v in variants:
        price = _price(v.get("price"), cents)
        if price is None:
            continue
        was = _price(v.get("compare_at_price") or v.get("regular_price"), cents)
        brand = obj.get("brand")
        vendor = text(obj.get("vendor")) or (
            text(brand.get("name")) if isinstance(brand, dict) else text(brand)
        )
        out.append(
            RawOffer(
                url=doc.url,
                name=name,
                breeder=vendor,
                variant=joined(
                    *(v.get(k) for k in _VARIANT_KEYS if v is not obj or k in _PACK_KEYS), sep=" / "
                ),
                price=price,
                in_stock=_stock(v),
                product_id=text(obj.get("handle")) or text(obj.get("id")),
                regular_price=was if was is not None and was > price else None,
                adapter=adapter,
                extra={"tie": tie, **({"variant_id": str(v["id"])} if v is not obj and "id" in v else {})},
            )
        )
    return out


def shopify_script(doc: Doc) -> list[RawOffer]:
    """Shopify themes' `<script type="application/json" id="ProductJson-...">` (prices in cents)."""
    for attrs, body in _scripts(doc):
        if not _PRODUCT_JSON.search(attrs):
            continue
        try:
            obj = json.loads(body)
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict) and isinstance(obj.get("product"), dict):
            obj = obj["product"]
        tie = tied(doc, obj) if isinstance(obj, dict) and isinstance(obj.get("variants"), list) else None
        if tie and (offers := _offers(doc, obj, "shopify_script", tie)):
            return offers
    return []


def _objects(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Product-like dicts (a name or title, and a price or variants), outermost first."""
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value[:200]:
            yield from _objects(item, depth + 1)
    elif isinstance(value, dict):
        if "@type" in value or "@context" in value:
            return  # schema.org text baked into a script is not evidence
        named = isinstance(value.get("name") or value.get("title"), str)
        if named and ("price" in value or isinstance(value.get("variants"), list)):
            yield value
        for item in list(value.values())[:200]:
            yield from _objects(item, depth + 1)


def _parsed(body: str) -> Iterator[Any]:
    try:
        yield from chompjs.parse_js_objects(body.replace("\x00", ""))
    except (ValueError, TypeError, RecursionError, IndexError, KeyError, OverflowError):
        return  # chompjs's parser rejects malformed input with assorted exception types


def script_data(doc: Doc) -> list[RawOffer]:
    """The first product object in an inline script that is tied to this page."""
    for attrs, body in _scripts(doc):
        if "price" not in body or "x-magento-init" in attrs.lower():
            continue
        for data in _parsed(body):
            for obj in _objects(data):
                checkpoint()
                tie = tied(doc, obj)
                if tie and (offers := _offers(doc, obj, "script_data", tie)):
                    return offers
    return []
