"""Structured-data adapters for HTML pages: JSON-LD (fast path), microdata (extruct), OpenGraph.

JSON-LD is read straight from the script tags with a regex and json.loads: no selector tree, which
keeps parsing near a millisecond per page. Microdata needs a DOM, so it goes through extruct.
"""

from __future__ import annotations

import json
import re
from typing import Any

import extruct
from lxml.etree import ParserError, XMLSyntaxError

from goodseed_dagster.scraping.extract.common import Lowered, canonical, decode, in_stock, text, text_price
from goodseed_dagster.scraping.extract.schema_org import offers_of, product_nodes
from goodseed_dagster.scraping.models import Page, RawOffer

_LD = re.compile(r"<script\b[^>]*\btype=[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>", re.I | re.S)
_META = re.compile(r"<meta\b[^>]*>", re.I)
_ATTR = re.compile(r"\b(property|name|content)=(?:\"([^\"]*)\"|'([^']*)')", re.I)


def jsonld_documents(html: str) -> list[Any]:
    """Every parseable JSON-LD block (broken blocks are skipped, as browsers and Google do)."""
    docs = []
    for m in _LD.finditer(html):
        raw = m.group(1).strip()
        if raw.startswith("<!--"):
            raw = raw.removeprefix("<!--").removesuffix("-->")
        try:
            docs.append(json.loads(raw, strict=False))
        except (ValueError, RecursionError):
            continue
    return docs


def has_jsonld_product(html: str) -> bool:
    return any(True for doc in jsonld_documents(html) for _ in product_nodes(doc))


def jsonld(page: Page, currency: str | None, html: str | None = None) -> list[RawOffer]:
    """Offers from the JSON-LD Product / ProductGroup nodes of a page."""
    html = decode(page) if html is None else html
    canon = canonical(page, html)
    out: list[RawOffer] = []
    for doc in jsonld_documents(html):
        for node in product_nodes(doc):
            out.extend(offers_of(node, page.url, canon, currency, "jsonld"))
    return out


def microdata(page: Page, currency: str | None, html: str | None = None) -> list[RawOffer]:
    """Offers from schema.org microdata (itemscope Product), through extruct."""
    html = decode(page) if html is None else html
    if "itemscope" not in Lowered(html):
        return []
    try:
        data = extruct.extract(html, base_url=page.url, syntaxes=["microdata"], uniform=True)
    except (ParserError, XMLSyntaxError, ValueError, TypeError, AttributeError):
        return []
    canon = canonical(page, html)
    out: list[RawOffer] = []
    for node in product_nodes(data.get("microdata", [])):
        out.extend(offers_of(node, page.url, canon, currency, "microdata"))
    return out


def opengraph(page: Page, currency: str | None, html: str | None = None) -> list[RawOffer]:
    """Last resort: og:/product: price meta tags (one offer; its pack is whatever the og:title states)."""
    html = decode(page) if html is None else html
    meta: dict[str, str] = {}
    for tag in _META.findall(html):
        attrs = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTR.finditer(tag)
        }
        key = attrs.get("property") or attrs.get("name")
        if key and "content" in attrs:
            meta.setdefault(key.lower(), attrs["content"])
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
