"""links(): the same-site URLs worth crawling next from a page (pagination, products, sitemaps, API pages)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from goodseed_dagster.scraping.extract.common import absolute

_LOC = re.compile(r"<loc>\s*(.*?)\s*</loc>", re.I | re.S)
_A = re.compile(r"<a\b[^>]*?\bhref=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_LINK_NEXT = re.compile(r"<link\b[^>]*\brel=[\"']?next\b[^>]*>", re.I)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.I)
_SKIP_PATH = re.compile(
    r"/(?:cart|checkout|basket|account|login|logout|register|wishlist|compare|search|wp-admin|wp-login\.php|"
    r"my-account|customer|admin|feed)(?:/|$|\?|\.)",
    re.I,
)
_SKIP_QUERY = re.compile(
    r"(?:^|&)(?:add-to-cart|add_to_cart|sort|orderby|sort_by|filter|q|s|replytocom)=", re.I
)
_ASSET = re.compile(r"\.(?:css|js|png|jpe?g|gif|webp|svg|ico|woff2?|ttf|pdf|zip|mp4)$", re.I)


def is_sitemap(body: bytes) -> bool:
    head = body[:2048]
    return b"<urlset" in head or b"<sitemapindex" in head


def sitemap_links(body: bytes, page_url: str) -> list[str]:
    """Every same-site <loc> of a sitemap or sitemap index."""
    source = body.decode("utf-8", errors="replace")
    return [u for m in _LOC.finditer(source) if (u := absolute(html.unescape(m.group(1)), page_url))]


def crawlable(url: str) -> bool:
    """Not a cart/account/search/asset URL and not a sort/filter/add-to-cart variant of a page."""
    parts = urlsplit(url)
    return not (_SKIP_PATH.search(parts.path) or _SKIP_QUERY.search(parts.query) or _ASSET.search(parts.path))


def html_links(body: bytes, page_url: str) -> list[str]:
    """Same-site anchors (and <link rel=next>) of an HTML page, minus carts, accounts and assets."""
    source = body.decode("utf-8", errors="replace")
    refs: list[Any] = [next((g for g in m.groups() if g is not None), None) for m in _A.finditer(source)]
    for tag in _LINK_NEXT.findall(source):
        h = _HREF.search(tag)
        if h:
            refs.append(h.group(1))
    return [u for ref in refs if (u := absolute(ref, page_url)) and crawlable(u)]


def dedupe(urls: list[str], page_url: str) -> list[str]:
    seen = {page_url}
    out = []
    for u in urls:
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out
