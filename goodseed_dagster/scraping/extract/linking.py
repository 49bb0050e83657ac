"""links(): the same-site URLs worth crawling next from a page (pagination, products, sitemaps, API pages)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import absolute, link_hrefs
from goodseed_dagster.scraping.extract.tags import elements

# An anchor's href; the tag never extends past the next "<", so each "<" starts one attempt at most.
_A = re.compile(r"<a\b[^<>]*?\bhref=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
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


def sitemap_links(source: str, page_url: str) -> list[str]:
    """Every same-site <loc> of a sitemap or sitemap index."""
    return [u for _, loc in elements(source, "loc") if (u := absolute(html.unescape(loc.strip()), page_url))]


def crawlable(url: str) -> bool:
    """Not a cart/account/search/asset URL and not a sort/filter/add-to-cart variant of a page."""
    parts = urlsplit(url)
    return not (_SKIP_PATH.search(parts.path) or _SKIP_QUERY.search(parts.query) or _ASSET.search(parts.path))


# Resolved hrefs per page origin: raw href -> same-site crawlable URL or None. Only hrefs whose
# resolution provably depends on nothing but the base's scheme and host (root-relative paths and
# absolute http(s) URLs with a host) are kept here, so a hit gives exactly what absolute() +
# crawlable() would. Shop pages repeat their menus and footers, so most anchors resolve by one hit.
# The memo is bounded in bytes (an estimate of its strings and dict entries), not in entries: a few
# pages of long unique hrefs must not keep hundreds of megabytes alive.
_RESOLVED: dict[tuple[str, str], dict[str, str | None]] = {}
RESOLVED_MAX_BYTES = 16 * 1024 * 1024  # per process; past it the memo starts over
MEMO_MAX_HREF = 512  # longer hrefs are resolved each time, never remembered
_ENTRY_BYTES = 200  # a dict slot and two str headers, roughly
_resolved_bytes = 0
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


def _origin_memo(page_url: str) -> dict[str, str | None]:
    """The cross-page memo of the page's origin (a fresh one when the memo is over its byte bound)."""
    global _resolved_bytes
    try:
        base = urlsplit(page_url)
    except ValueError:  # absolute() refuses every href of such a page; keep nothing across pages
        return {}
    if _resolved_bytes > RESOLVED_MAX_BYTES:
        _RESOLVED.clear()
        _resolved_bytes = 0
    return _RESOLVED.setdefault((base.scheme, base.netloc), {})


def html_links(source: str, page_url: str) -> list[str]:
    """Same-site anchors (and <link rel=next>) of an HTML page, minus carts, accounts and assets."""
    global _resolved_bytes
    # At most one of the three alternatives matches; an empty href is "" either way (never a link).
    refs = [a or b or c for a, b, c in _A.findall(source)]
    refs.extend(link_hrefs(source, "next"))
    memo = _origin_memo(page_url)
    out = []
    page_memo: dict[str, str | None] = {}  # hrefs that depend on the page's own path or query
    miss = _MISS
    for i, ref in enumerate(refs):
        if not i % 512:
            checkpoint()
        u = memo.get(ref, miss)
        if u is miss:
            u = page_memo.get(ref, miss)
            if u is miss:
                u = _resolve(ref, page_url)
                stripped = ref.strip()
                if stripped and len(ref) <= MEMO_MAX_HREF and _origin_only(html.unescape(stripped)):
                    memo[ref] = u
                    _resolved_bytes += len(ref) + len(u or "") + _ENTRY_BYTES
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
