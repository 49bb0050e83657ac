"""Structured-data adapters for HTML pages: JSON-LD (fast path) and OpenGraph; microdata is microdata.py.

JSON-LD is read straight from the script tags (a linear scan, tags.py) and json.loads: no selector
tree, which keeps parsing near a millisecond per page.
"""

from __future__ import annotations

import json
from typing import Any

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import canonical, in_stock, text, text_price
from goodseed_dagster.scraping.extract.decoding import decode
from goodseed_dagster.scraping.extract.schema_org import offers_of, product_nodes
from goodseed_dagster.scraping.extract.tags import attributes, elements, start_tags
from goodseed_dagster.scraping.models import Page, RawOffer


def jsonld_documents(html: str) -> list[Any]:
    """Every parseable JSON-LD block (broken blocks are skipped, as browsers and Google do)."""
    docs = []
    for attrs, body in elements(html, "script"):
        checkpoint()
        kind = attributes(attrs).get("type", "") if "ld+json" in attrs.lower() else ""
        if not kind.strip().lower().startswith("application/ld+json"):
            continue
        raw = body.strip()
        if raw.startswith("<!--"):
            raw = raw.removeprefix("<!--").removesuffix("-->")
        try:
            docs.append(json.loads(raw, strict=False))
        except (ValueError, RecursionError):
            continue
    return docs


def meta_tags(html: str) -> dict[str, str]:
    """`<meta property|name|itemprop=... content=...>` of the page, keys lowercased, the first one wins."""
    meta: dict[str, str] = {}
    for tag in start_tags(html, "meta"):
        attrs = attributes(tag)
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        if key and "content" in attrs:
            meta.setdefault(key.lower(), attrs["content"])
    return meta


def has_jsonld_product(html: str) -> bool:
    return any(True for doc in jsonld_documents(html) for _ in product_nodes(doc))


def jsonld(page: Page, currency: str | None, html: str | None = None) -> list[RawOffer]:
    """Offers from the JSON-LD Product / ProductGroup nodes of a page."""
    html = decode(page) if html is None else html
    canon = canonical(page, html)
    out: list[RawOffer] = []
    for doc in jsonld_documents(html):
        for node in product_nodes(doc):
            checkpoint()
            out.extend(offers_of(node, page.url, canon, currency, "jsonld"))
    return out


def opengraph(page: Page, currency: str | None, html: str | None = None) -> list[RawOffer]:
    """Last resort: og:/product: price meta tags (one offer; its pack is whatever the og:title states)."""
    html = decode(page) if html is None else html
    meta = meta_tags(html)
    amount = meta.get("product:price:amount") or meta.get("og:price:amount")
    if amount is None:
        return []
    price, _ = text_price(amount)
    cur = text(meta.get("product:price:currency") or meta.get("og:price:currency")) or currency
    name = text(meta.get("og:title"))
    stock = in_stock(meta.get("product:availability") or meta.get("og:availability"))
    url = canonical(page, html) or text(meta.get("og:url")) or page.url
    return [
        RawOffer(
            url=url,
            name=name,
            breeder=text(meta.get("product:brand")),
            price=price,
            currency=cur,
            in_stock=stock,
            adapter="opengraph",
        )
    ]
