"""The crawl frontier: URLs waiting to be fetched (BFS), each URL once, at most max_pages, seller hosts only.

It also counts the work still in flight, which is how the crawl loop knows it is done: a URL counts from
the moment it is queued until it is fetched and, when it had a body, parsed for links.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import urljoin

from goodseed_dagster.scraping.netguard import Origin, origin_refusal
from goodseed_dagster.scraping.results import CrawlResult
from goodseed_dagster.scraping.urls import normalize_url, origin

RESOLVED_MAX_BYTES = 32 * 1024 * 1024  # link keys remembered per crawl (estimated bytes) before starting over
MEMO_MAX_LINK = 512  # longer links are resolved each time, never remembered
_ENTRY_BYTES = 250  # a dict slot, a key tuple and the str headers, roughly
_UNKNOWN, _OFFSITE = "\0unknown", "\0offsite"  # markers in Frontier.resolved (never URLs)


class Frontier:
    """The queue the fetch workers read, the set of URLs ever scheduled, and the outstanding-work count."""

    def __init__(self, origins: frozenset[Origin], max_pages: int, result: CrawlResult) -> None:
        self.origins, self.max_pages, self.result = origins, max_pages, result
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()  # None: a fetch worker's signal to end
        self.idle = asyncio.Event()  # set whenever nothing is outstanding
        self.seen: set[str] = set()
        self.scheduled = 0
        self.outstanding = 0  # URLs queued, being fetched, or being parsed
        # Link key -> normalized URL, or None when it is not crawlable or off-site. Shop pages repeat
        # the same menus, footers and related-product links, so most links resolve by one dict hit.
        self.resolved: dict[str | tuple[str, str], str | None] = {}
        self.resolved_bytes = 0  # estimated size of `resolved`, which is bounded in bytes, not entries

    def schedule(self, url: str) -> None:
        """Queue `url` unless it was seen; past max_pages the crawl is marked partial and it is dropped."""
        if url in self.seen:
            return
        if self.scheduled >= self.max_pages:
            if not self.result.partial:
                self.result.partial = True
                self.result.stopped_reason = f"max_pages ({self.max_pages}) reached"
            return
        self.seen.add(url)
        self.scheduled += 1
        self.outstanding += 1
        self.queue.put_nowait(url)

    def retry(self, urls: Iterable[str]) -> None:
        """Queue URLs scheduled before (a retry round) once more, past the seen set and the page cap."""
        self.idle.clear()
        for url in urls:
            self.outstanding += 1
            self.queue.put_nowait(url)

    def done_one(self) -> None:
        self.outstanding -= 1
        if self.outstanding == 0:
            self.idle.set()

    def discover(self, base: str, found: Iterable[str]) -> None:
        """Schedule the crawlable same-seller links of the page at `base`; count the off-site ones."""
        resolved, seen = self.resolved, self.seen
        if self.resolved_bytes > RESOLVED_MAX_BYTES:
            resolved.clear()
            self.resolved_bytes = 0
        base_origin: str | None = None
        for link in found:
            if link.startswith(("http://", "https://")):
                key: str | tuple[str, str] = link  # absolute: urljoin ignores the base
            elif link.startswith("/") and not link.startswith("//"):
                base_origin = base_origin or origin(base)
                key = (base_origin, link)  # root-relative: only the base's origin matters
            else:
                key = (base, link)
            url = resolved.get(key, _UNKNOWN)
            if url is _UNKNOWN:
                url = normalize_url(urljoin(base, link))
                if url is not None and origin_refusal(url, self.origins):
                    url = _OFFSITE
                if len(link) <= MEMO_MAX_LINK:
                    resolved[key] = url
                    self.resolved_bytes += len(link) + len(url or "") + _ENTRY_BYTES  # bases are shared
            if url is _OFFSITE:
                self.result.offsite_skipped += 1
            elif url is not None and url not in seen:
                self.schedule(url)
