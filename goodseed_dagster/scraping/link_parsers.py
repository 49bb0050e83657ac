"""The parse pool: links() runs off the event loop, in batches, so fetching never waits on parsing.

Fetch workers put (record, page) on the queue; a parse worker takes one with whatever else is already
waiting (up to `parse_batch`) to `CrawlOptions.parse_executor` in one round trip: the loop's default
thread pool, or a process pool when parsing needs its own core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from goodseed_dagster.scraping.frontier import Frontier
from goodseed_dagster.scraping.models import Page, PageRecord
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.results import CrawlResult

LinksFn = Callable[[Page], Iterable[str]]
ParseItem = tuple[PageRecord, Page]


def collect_links(links: LinksFn, pages: list[Page]) -> list[list[str] | str]:
    """links() of several pages in one call (one pool round trip each batch, module-level so a process
    pool can pickle it); a page whose links() raises yields its error text, never the batch's failure."""
    out: list[list[str] | str] = []
    for page in pages:
        try:
            out.append(list(links(page)))
        except Exception as e:  # links() is caller code: its failure is one page's, not the crawl's
            out.append(f"{type(e).__name__}: {e}")
    return out


class LinkParsers:
    """The parse workers of one crawl and their queue; found links go to the frontier."""

    def __init__(
        self,
        links: LinksFn,
        options: CrawlOptions,
        frontier: Frontier,
        result: CrawlResult,
        stop: asyncio.Event,
    ) -> None:
        self.links, self.options, self.stop = links, options, stop
        self.frontier, self.result = frontier, result
        self.queue: asyncio.Queue[ParseItem | None] = asyncio.Queue()  # None: a worker's signal to end

    async def worker(self) -> None:
        """Parse until the end signal; every page taken is marked done in the frontier, parsed or not."""
        loop = asyncio.get_running_loop()
        last = False
        while not last and (item := await self.queue.get()) is not None:
            batch = [item]  # whatever else is already waiting goes along: fewer pool round trips
            while len(batch) < self.options.parse_batch and not self.queue.empty():
                more = self.queue.get_nowait()
                if more is None:
                    last = True
                    break
                batch.append(more)
            if not self.stop.is_set():
                pages = [page for _, page in batch]
                try:
                    results = await loop.run_in_executor(
                        self.options.parse_executor, collect_links, self.links, pages
                    )
                except Exception as e:  # the pool itself failed (a dead worker, an unpicklable page)
                    results = [f"{type(e).__name__}: {e}"] * len(batch)
                self.deliver(batch, results)
            for _ in batch:
                self.frontier.done_one()

    def deliver(self, batch: list[ParseItem], results: list[list[str] | str]) -> None:
        """Links found go to the frontier; a links() failure is noted on the page's record."""
        for (record, page), found in zip(batch, results, strict=True):
            if isinstance(found, str):
                record.error = f"links failed: {found}"
                self.result.links_failed += 1
            else:
                self.frontier.discover(page.url, found)
