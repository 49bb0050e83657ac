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
_MISS: Any = object()
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


# Resolved hrefs per page origin: raw href -> same-site crawlable URL or None. Only hrefs whose
# resolution provably depends on nothing but the base's scheme and host (root-relative paths and
# absolute http(s) URLs with a host) are kept here, so a hit gives exactly what absolute() +
# crawlable() would. Shop pages repeat their menus and footers, so most anchors resolve by one hit.
_RESOLVED: dict[tuple[str, str], dict[str, str | None]] = {}
_RESOLVED_MAX = 50_000  # hrefs remembered per process before the memo starts over
_resolved_count = 0
_UNSAFE = ("\t", "\r", "\n")  # urlsplit deletes these anywhere in a URL, which could change its shape


def _origin_only(s: str) -> bool:
    """Does urljoin(base, s) depend on the base's scheme and netloc alone (never its path or query)?"""
    if any(c in s for c in _UNSAFE):
        return False
    if s[:1] == "/":
        return s[1:2] != "/"  # root-relative; "//host" is scheme-relative, resolved the slow way
    for prefix in ("http://", "https://"):
        if s.startswith(prefix):
            return s[len(prefix) : len(prefix) + 1] not in ("", "/", "?", "#")  # a non-empty host
    return False


def _resolve(ref: str, page_url: str) -> str | None:
    u = absolute(ref, page_url)
    return u if u and crawlable(u) else None


def html_links(body: bytes, page_url: str) -> list[str]:
    """Same-site anchors (and <link rel=next>) of an HTML page, minus carts, accounts and assets."""
    global _resolved_count
    source = body.decode("utf-8", errors="replace")
    # At most one of the three alternatives matches; an empty href is "" either way (never a link).
    refs = [a or b or c for a, b, c in _A.findall(source)]
    for tag in _LINK_NEXT.findall(source):
        h = _HREF.search(tag)
        if h:
            refs.append(h.group(1))
    try:
        base = urlsplit(page_url)
    except ValueError:  # absolute() refuses every href of such a page; keep nothing across pages
        memo: dict[str, str | None] = {}
    else:
        if _resolved_count > _RESOLVED_MAX:
            _RESOLVED.clear()
            _resolved_count = 0
        memo = _RESOLVED.setdefault((base.scheme, base.netloc), {})
    out = []
    page_memo: dict[str, str | None] = {}  # hrefs that depend on the page's own path or query
    miss = _MISS
    for ref in refs:
        u = memo.get(ref, miss)
        if u is miss:
            u = page_memo.get(ref, miss)
            if u is miss:
                u = _resolve(ref, page_url)
                stripped = ref.strip()
                if stripped and _origin_only(html.unescape(stripped)):
                    memo[ref] = u
                    _resolved_count += 1
                else:
                    page_memo[ref] = u
        if u is not None:
            out.append(u)
    return out


def dedupe(urls: list[str], page_url: str) -> list[str]:
    seen = {page_url}
    out = []
    for u in urls:
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out
