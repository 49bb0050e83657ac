"""The polite crawler behind raw_pages: BFS over one seller, every body archived, one PageRecord per URL.

The entry points for callers; the machinery is in crawler.py (state), request.py (one GET with
retries), robots.py, ratelimit.py, netguard.py (SSRF rules) and archive.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import httpx

from goodseed_dagster.scraping.archive import ObjectStore
from goodseed_dagster.scraping.crawler import Crawler, LinksFn
from goodseed_dagster.scraping.models import PageRecord, SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.results import CrawlProgress, CrawlResult
from goodseed_dagster.scraping.urls import normalize_url

__all__ = ["CrawlOptions", "CrawlProgress", "CrawlResult", "LinksFn", "crawl", "crawl_sync", "normalize_url"]


@asynccontextmanager
async def _client_for(
    source: SourceConfig, options: CrawlOptions, client: httpx.AsyncClient | None
) -> AsyncIterator[httpx.AsyncClient]:
    if client is not None:
        yield client
        return
    limits = httpx.Limits(max_connections=source.concurrency, max_keepalive_connections=source.concurrency)
    async with httpx.AsyncClient(
        headers={"User-Agent": options.user_agent},
        timeout=options.timeout_s,
        limits=limits,
        follow_redirects=False,
    ) as own:
        yield own


async def crawl(
    source: SourceConfig,
    *,
    store: ObjectStore,
    links: LinksFn,
    previous: Mapping[str, PageRecord] | None = None,
    polite: bool = True,
    client: httpx.AsyncClient | None = None,
    progress: Callable[[CrawlProgress], None] | None = None,
    options: CrawlOptions | None = None,
) -> CrawlResult:
    """Crawl one seller breadth-first from its entry points; never raises for a seller's misbehaviour.

    `previous` (url -> last PageRecord) enables conditional GETs; `polite=False` drops pacing and
    Crawl-delay (benchmarks only) but still obeys robots.txt Disallow. A passed `client` is used as
    is (its redirects are never followed by httpx) and left open.
    """
    crawler = Crawler(source, store, links, previous or {}, polite, progress, options or CrawlOptions())
    async with _client_for(source, crawler.options, client) as http:
        return await crawler.run(http)


def crawl_sync(
    source: SourceConfig,
    *,
    store: ObjectStore,
    links: LinksFn,
    previous: Mapping[str, PageRecord] | None = None,
    polite: bool = True,
    client: httpx.AsyncClient | None = None,
    progress: Callable[[CrawlProgress], None] | None = None,
    options: CrawlOptions | None = None,
) -> CrawlResult:
    """`crawl` for synchronous callers (assets, CLI); must not be called from a running event loop."""
    return asyncio.run(
        crawl(
            source,
            store=store,
            links=links,
            previous=previous,
            polite=polite,
            client=client,
            progress=progress,
            options=options,
        )
    )
