"""One seller's crawl loop: fetch workers, parse workers, retry rounds, progress and the result.

Fetch workers (at most `source.concurrency` requests in flight, paced by one token bucket) hand pages
to the parse pool (link_parsers.py) through a queue, so fetching never waits on parsing. The pieces
the loop drives: frontier.py (which URLs, each once), gate.py (redirects, origin/address/robots checks,
the deadline), page_records.py (what a fetch becomes), failures.py (circuit breaker, failures held for
retry rounds).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping import page_records
from goodseed_dagster.scraping.archive import ArchiveCorruptError, ArchiveMissingError, ObjectStore
from goodseed_dagster.scraping.failures import Breaker, HeldBack
from goodseed_dagster.scraping.frontier import Frontier
from goodseed_dagster.scraping.gate import Gate, Refused
from goodseed_dagster.scraping.link_parsers import LinkParsers, LinksFn
from goodseed_dagster.scraping.models import Page, PageRecord, SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.ratelimit import TokenBucket
from goodseed_dagster.scraping.request import CrawlStopped, DeadlineReached, Reply
from goodseed_dagster.scraping.results import CrawlProgress, CrawlResult
from goodseed_dagster.scraping.urls import normalize_url

__all__ = ["Crawler", "LinksFn"]


class Crawler:
    """The state of one crawl; `run()` drives it. One instance, one event loop, one seller."""

    def __init__(
        self,
        source: SourceConfig,
        store: ObjectStore,
        links: LinksFn,
        previous: Mapping[str, PageRecord],
        polite: bool,
        progress: Callable[[CrawlProgress], None] | None,
        options: CrawlOptions,
    ) -> None:
        self.source, self.store, self.previous = source, store, previous
        self.progress, self.options = progress, options
        self.result = CrawlResult(seller=source.slug)
        self.stop = asyncio.Event()
        limiter = TokenBucket.per_minute(source.requests_per_minute, clock=options.clock) if polite else None
        self.gate = Gate(source, options, limiter, self.stop)
        self.frontier = Frontier(self.gate.origins, source.max_pages, self.result)
        self.parsers = LinkParsers(links, options, self.frontier, self.result, self.stop)
        self.breaker = Breaker(options.breaker_threshold)
        self.held = HeldBack(holding=options.retry_rounds > 0)
        self.started = time.monotonic()
        self.worker_clients: list[httpx.AsyncClient] = []

    # -- driving -----------------------------------------------------------------------------------

    async def run(
        self, client: httpx.AsyncClient, worker_clients: list[httpx.AsyncClient] | None = None
    ) -> CrawlResult:
        """Crawl; fetch worker i sends through worker_clients[i % n] (default: all share `client`)."""
        self.gate.client = client  # robots.txt before the workers start, and the default
        self.worker_clients = worker_clients or [client]
        try:
            rules = await self.gate.robots_for(self.source.url("robots.txt"))
        except CrawlStopped as e:  # only the deadline can stop a crawl this early
            self.stopped(e)
            return self.finish()
        self.result.robots = rules.reason
        if rules.unreachable:
            self.halt(rules.reason)
            return self.finish()
        for ref in self.source.entry_points:
            target = normalize_url(self.source.url(ref))
            if target is None:
                error = f"not an http(s) URL: {ref!r}"
                self.record(page_records.unanswered_record(self.source.url(ref), error=error))
                self.result.failed += 1
            else:
                self.frontier.schedule(target)
        if self.frontier.outstanding:
            await self.work()
        await self.retry_rounds()
        return self.finish()

    async def retry_rounds(self) -> None:
        """Pages that failed transiently get whole new rounds once the rest is done (see failures.py)."""
        rounds = self.options.retry_rounds
        for round_no in range(1, rounds + 1):
            if not self.held.pages or self.stop.is_set():
                break
            again = self.held.take()
            self.held.holding = round_no < rounds  # the last round records its failures for good
            self.frontier.retry(url for url, _ in again)
            await self.work()
        for _url, record in self.held.take():  # never retried (the crawl stopped): the failure stands
            self.result.failed += 1
            self.record(record)

    async def work(self) -> None:
        """Run fetch and parse workers until the frontier is idle or the crawl stops."""
        clients = self.worker_clients
        fetchers = [
            asyncio.create_task(self.fetch_worker(clients[i % len(clients)]))
            for i in range(self.source.concurrency)
        ]
        parsers = [asyncio.create_task(self.parsers.worker()) for _ in range(self.options.parse_concurrency)]
        workers = {*fetchers, *parsers}
        waits = {asyncio.create_task(self.frontier.idle.wait()), asyncio.create_task(self.stop.wait())}
        try:
            done, _ = await asyncio.wait(workers | waits, return_when=asyncio.FIRST_COMPLETED)
            for task in done & workers:
                task.result()  # a worker only ends early by raising: surface it
            for _ in fetchers:
                self.frontier.queue.put_nowait(None)
            await asyncio.gather(*fetchers)
            for _ in parsers:
                self.parsers.queue.put_nowait(None)
            await asyncio.gather(*parsers)
        finally:
            for task in workers | waits:
                task.cancel()

    def finish(self) -> CrawlResult:
        self.result.duration_s = time.monotonic() - self.started
        if self.gate.capped:
            self.result.robots = "; ".join([self.result.robots or "robots.txt", *self.gate.capped])
        self.report()
        return self.result

    def halt(self, reason: str) -> None:
        self.result.partial, self.result.stopped_reason = True, reason
        self.stop.set()

    def stopped(self, error: CrawlStopped) -> None:
        """A request gave up waiting: when the deadline is why, the crawl stops here (once)."""
        if isinstance(error, DeadlineReached) and not self.stop.is_set():
            self.halt(f"deadline ({self.options.deadline_s:g} s) reached")

    async def fetch_worker(self, client: httpx.AsyncClient) -> None:
        frontier = self.frontier
        while (url := await frontier.queue.get()) is not None:
            if self.stop.is_set():
                frontier.done_one()
                continue
            record, page = await self.fetch_page(url, client)
            if page is None and self.held.hold(url, record):
                self.result.failed -= 1  # counted again if its last round fails too
                frontier.done_one()
                continue
            self.record(record)
            if page is not None and not self.stop.is_set():
                frontier.seen.add(page.url)  # a redirect's target: do not fetch it again
                self.parsers.queue.put_nowait((record, page))
            else:
                frontier.done_one()

    # -- one URL -----------------------------------------------------------------------------------

    async def fetch_page(
        self, url: str, client: httpx.AsyncClient | None = None
    ) -> tuple[PageRecord, Page | None]:
        """Fetch `url` (conditionally when the archive holds its last body); never raises for the seller."""
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        prev = self.previous.get(url)
        try:
            reply = await self.gate.follow(url, page_records.conditional_headers(prev), client=client)
            if reply.status == 304 and prev is not None and prev.sha256:
                try:
                    body = await asyncio.to_thread(self.store.get, prev.sha256)
                except (ArchiveMissingError, ArchiveCorruptError):  # no usable body: fetch it whole
                    reply = await self.gate.follow(url, {}, client=client)
                else:
                    self.result.not_modified += 1
                    return page_records.not_modified(url, fetched_at, reply, prev, body)
        except Refused as e:
            self.result.robots_blocked += e.robots
            self.result.failed += not e.robots
            record = page_records.unanswered_record(
                url, fetched_at, started, error=e.reason, robots_blocked=e.robots
            )
            return record, None
        except CrawlStopped as e:
            self.stopped(e)
            self.result.failed += 1
            reason = f"not fetched: crawl stopped ({self.result.stopped_reason})"
            return page_records.unanswered_record(url, fetched_at, started, error=reason), None
        except FetchError as e:
            self.count_failure(e)
            if e.retryable:
                self.held.transient.add(url)
            record = page_records.unanswered_record(url, fetched_at, started, status=e.status, error=e.reason)
            return record, None
        self.breaker.answered()
        return await self.answered(url, fetched_at, reply)

    async def answered(self, url: str, fetched_at: datetime, reply: Reply) -> tuple[PageRecord, Page | None]:
        """Count the reply; archive a 2xx body and hand it on as a Page."""
        record = page_records.answered_record(url, fetched_at, reply)
        if record.error is not None:
            self.result.failed += 1
            return record, None
        record.sha256 = await asyncio.to_thread(self.store.put, reply.body)
        self.result.fetched += 1
        self.result.bytes += len(reply.body)
        return record, page_records.answered_page(reply, record)

    def count_failure(self, error: FetchError) -> None:
        """A failed request (after its retries) counts as failed and feeds the circuit breaker."""
        self.result.failed += 1
        trip = self.breaker.failed(error)
        if trip is not None and not self.stop.is_set():
            self.halt(trip)

    # -- reporting ---------------------------------------------------------------------------------

    def record(self, record: PageRecord) -> None:
        self.result.pages.append(record)
        if len(self.result.pages) % self.options.progress_every == 0:
            self.report()

    def report(self) -> None:
        if self.progress is None:
            return
        r = self.result
        self.progress(
            CrawlProgress(
                seller=r.seller,
                attempted=len(r.pages),
                fetched=r.fetched,
                not_modified=r.not_modified,
                failed=r.failed,
                robots_blocked=r.robots_blocked,
                queued=self.frontier.queue.qsize(),
                bytes=r.bytes,
                elapsed_s=time.monotonic() - self.started,
            )
        )
