"""The polite crawler behind raw_pages: BFS over one seller, every body archived, one PageRecord per URL.

The entry points for callers; the machinery is in crawler.py (state), request.py (one GET with
retries), robots.py, ratelimit.py, netguard.py (SSRF rules), pinning.py (connections only to checked
addresses) and archive.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TypedDict, Unpack

import httpx

from goodseed_dagster.scraping.archive import ObjectStore
from goodseed_dagster.scraping.crawler import Crawler, LinksFn
from goodseed_dagster.scraping.models import PageRecord, SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.pinning import AddressBook, PinnedTransport
from goodseed_dagster.scraping.results import CrawlProgress, CrawlResult
from goodseed_dagster.scraping.urls import normalize_url

__all__ = ["CrawlOptions", "CrawlProgress", "CrawlResult", "LinksFn", "crawl", "crawl_sync", "normalize_url"]


@asynccontextmanager
async def _clients_for(
    source: SourceConfig, options: CrawlOptions, addresses: AddressBook, client: httpx.AsyncClient | None
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One single-connection client per fetch worker, or the caller's client shared by all of them.

    httpcore's pool checks every pooled connection (a poll() syscall each) whenever it assigns or
    releases one; at 32 connections that cost ~3 ms of CPU per request, 3/4 of httpx's client cost.
    A worker sends one request at a time, so a pool of one per worker is the same concurrency at
    ~1 ms per request. The clients share one SSL context (building one per client costs ~10 ms), one
    cookie jar, and the crawl's AddressBook: every connection dials an address the Gate checked.
    """
    if client is not None:
        yield [client]
        return
    ssl_context = httpx.create_ssl_context()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    headers={"User-Agent": options.user_agent},
                    timeout=options.timeout_s,
                    follow_redirects=False,
                    transport=PinnedTransport(
                        addresses, ssl_context=ssl_context, limits=limits, connector=options.connector
                    ),
                )
            )
            for _ in range(source.concurrency)
        ]
        for other in clients[1:]:  # one cookie jar for the crawl, as with a single client
            other.cookies.jar = clients[0].cookies.jar
        yield clients


class CrawlArgs(TypedDict, total=False):
    """What a crawl takes besides the source (see `crawl`)."""

    previous: Mapping[str, PageRecord] | None
    polite: bool
    client: httpx.AsyncClient | None
    progress: Callable[[CrawlProgress], None] | None
    options: CrawlOptions | None


async def crawl(
    source: SourceConfig, *, store: ObjectStore, links: LinksFn, **args: Unpack[CrawlArgs]
) -> CrawlResult:
    """Crawl one seller breadth-first from its entry points; never raises for a seller's misbehaviour.

    `previous` (url -> last PageRecord) enables conditional GETs; `polite=False` drops pacing and
    Crawl-delay (benchmarks only) but still obeys robots.txt Disallow. A passed `client` is used as
    is (its redirects are never followed by httpx) and left open; it connects where it likes, so
    only the Gate's checks (not the pinned connections) protect a crawl through it.
    """
    options = args.get("options") or CrawlOptions()
    crawler = Crawler(
        source,
        store,
        links,
        args.get("previous") or {},
        args.get("polite", True),
        args.get("progress"),
        options,
    )
    async with _clients_for(source, crawler.options, crawler.gate.addresses, args.get("client")) as clients:
        return await crawler.run(clients[0], clients)


def crawl_sync(
    source: SourceConfig, *, store: ObjectStore, links: LinksFn, **args: Unpack[CrawlArgs]
) -> CrawlResult:
    """`crawl` for synchronous callers (assets, CLI); must not be called from a running event loop.

    Runs on uvloop when it is installed (dagster-webserver brings uvicorn[standard], hence uvloop, on
    Linux): the crawl's event loop does all the HTTP work, and uvloop's transports cost it less CPU.
    """
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(crawl(source, store=store, links=links, **args))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not installed (e.g. Windows): the default asyncio loop
        return None
    return uvloop.new_event_loop
