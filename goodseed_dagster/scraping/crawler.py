"""One seller's crawl as a state machine: BFS frontier, fetch and parse workers, robots, breaker.

Fetch workers (at most `source.concurrency` requests in flight, paced by one token bucket) hand pages
to parse workers through a queue, and links() runs in an executor, so fetching never waits on
parsing; a process pool can be passed as `CrawlOptions.parse_executor` when parsing needs its own core.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.archive import ArchiveCorruptError, ArchiveMissingError, ObjectStore
from goodseed_dagster.scraping.models import Page, PageRecord, SourceConfig
from goodseed_dagster.scraping.netguard import address_refusal, host_refusal, system_resolver
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.ratelimit import TokenBucket
from goodseed_dagster.scraping.request import CrawlStopped, Reply, get_with_retries
from goodseed_dagster.scraping.results import CrawlProgress, CrawlResult
from goodseed_dagster.scraping.robots import RobotsRules
from goodseed_dagster.scraping.urls import normalize_url, origin

LinksFn = Callable[[Page], Iterable[str]]
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RESOLVED_CACHE_MAX = 200_000  # link keys remembered per crawl before the cache starts over
_UNKNOWN, _OFFSITE = "\0unknown", "\0offsite"  # markers in Crawler.resolved (never URLs)


class _Refused(Exception):
    """A URL or redirect hop we will not request; `robots` marks a robots.txt Disallow."""

    def __init__(self, reason: str, *, robots: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.robots = reason, robots


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


def _header(reply: Reply, name: str) -> str | None:
    return reply.headers.get(name)


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
        self.source, self.store, self.links, self.previous = source, store, links, previous
        self.progress, self.options = progress, options
        self.limiter = TokenBucket.per_minute(source.requests_per_minute) if polite else None
        self.hosts = source.hosts
        self.resolver = options.resolver or system_resolver
        self.result = CrawlResult(seller=source.slug)
        self.stop = asyncio.Event()
        self.idle = asyncio.Event()
        self.frontier: asyncio.Queue[str | None] = asyncio.Queue()
        self.parse_queue: asyncio.Queue[tuple[PageRecord, Page] | None] = asyncio.Queue()
        self.seen: set[str] = set()
        self.scheduled = 0
        self.outstanding = 0  # URLs queued, being fetched, or being parsed
        self.retrying = options.retry_rounds > 0  # transient failures wait for a retry round
        self.transient: set[str] = set()  # URLs whose last fetch failed transiently
        self.deferred: list[tuple[str, PageRecord]] = []
        self.consecutive_failures = 0
        self.robots: dict[str, RobotsRules] = {}
        self.robots_locks: dict[str, asyncio.Lock] = {}
        self.address_checks: dict[str, str | None] = {}
        # Link key -> normalized URL, or None when it is not crawlable or off-site. Shop pages repeat
        # the same menus, footers and related-product links, so most links resolve by one dict hit.
        self.resolved: dict[str | tuple[str, str], str | None] = {}
        self.started = time.monotonic()
        self.client: httpx.AsyncClient  # robots.txt before the workers start, and the default
        self.worker_clients: list[httpx.AsyncClient] = []

    # -- driving -----------------------------------------------------------------------------------

    async def run(
        self, client: httpx.AsyncClient, worker_clients: list[httpx.AsyncClient] | None = None
    ) -> CrawlResult:
        """Crawl; fetch worker i sends through worker_clients[i % n] (default: all share `client`)."""
        self.client = client
        self.worker_clients = worker_clients or [client]
        rules = await self.robots_for(self.source.url("robots.txt"))
        self.result.robots = rules.reason
        if rules.unreachable:
            self.halt(rules.reason)
            return self.finish()
        for ref in self.source.entry_points:
            target = normalize_url(self.source.url(ref))
            if target is None:
                self.record(self.page_record(self.source.url(ref), error=f"not an http(s) URL: {ref!r}"))
                self.result.failed += 1
            else:
                self.schedule(target)
        if self.outstanding:
            await self.work()
        await self.retry_rounds()
        return self.finish()

    async def retry_rounds(self) -> None:
        """Pages that failed transiently get whole new rounds once the rest is done: a burst of faults
        rarely hits the same page again minutes later, and its offers must not go missing."""
        for round_no in range(1, self.options.retry_rounds + 1):
            again, self.deferred = self.deferred, []
            if not again or self.stop.is_set():
                self.deferred = again
                break
            last = round_no == self.options.retry_rounds
            self.retrying = not last  # the last round records its failures for good
            self.idle.clear()
            for url, _ in again:
                self.outstanding += 1
                self.frontier.put_nowait(url)
            await self.work()
        for _url, record in self.deferred:  # never retried (the crawl stopped): the failure stands
            self.result.failed += 1
            self.record(record)
        self.deferred = []

    async def work(self) -> None:
        clients = self.worker_clients
        fetchers = [
            asyncio.create_task(self.fetch_worker(clients[i % len(clients)]))
            for i in range(self.source.concurrency)
        ]
        parsers = [asyncio.create_task(self.parse_worker()) for _ in range(self.options.parse_concurrency)]
        workers = {*fetchers, *parsers}
        waits = {asyncio.create_task(self.idle.wait()), asyncio.create_task(self.stop.wait())}
        try:
            done, _ = await asyncio.wait(workers | waits, return_when=asyncio.FIRST_COMPLETED)
            for task in done & workers:
                task.result()  # a worker only ends early by raising: surface it
            for _ in fetchers:
                self.frontier.put_nowait(None)
            await asyncio.gather(*fetchers)
            for _ in parsers:
                self.parse_queue.put_nowait(None)
            await asyncio.gather(*parsers)
        finally:
            for task in workers | waits:
                task.cancel()

    def finish(self) -> CrawlResult:
        self.result.duration_s = time.monotonic() - self.started
        self.report()
        return self.result

    def halt(self, reason: str) -> None:
        self.result.partial, self.result.stopped_reason = True, reason
        self.stop.set()

    def schedule(self, url: str) -> None:
        if url in self.seen:
            return
        if self.scheduled >= self.source.max_pages:
            if not self.result.partial:
                self.result.partial = True
                self.result.stopped_reason = f"max_pages ({self.source.max_pages}) reached"
            return
        self.seen.add(url)
        self.scheduled += 1
        self.outstanding += 1
        self.frontier.put_nowait(url)

    def done_one(self) -> None:
        self.outstanding -= 1
        if self.outstanding == 0:
            self.idle.set()

    async def fetch_worker(self, client: httpx.AsyncClient) -> None:
        while (url := await self.frontier.get()) is not None:
            if self.stop.is_set():
                self.done_one()
                continue
            record, page = await self.fetch_page(url, client)
            if page is None and self.defer(url, record):
                self.done_one()
                continue
            self.record(record)
            if page is not None and not self.stop.is_set():
                self.seen.add(page.url)  # a redirect's target: do not fetch it again
                self.parse_queue.put_nowait((record, page))
            else:
                self.done_one()

    async def parse_worker(self) -> None:
        loop = asyncio.get_running_loop()
        last = False
        while not last and (item := await self.parse_queue.get()) is not None:
            batch = [item]  # whatever else is already waiting goes along: fewer pool round trips
            while len(batch) < self.options.parse_batch and not self.parse_queue.empty():
                more = self.parse_queue.get_nowait()
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
                for (record, page), found in zip(batch, results, strict=True):
                    if isinstance(found, str):
                        record.error = f"links failed: {found}"
                        self.result.links_failed += 1
                    else:
                        self.discover(page.url, found)
            for _ in batch:
                self.done_one()

    def discover(self, base: str, found: Iterable[str]) -> None:
        resolved, seen = self.resolved, self.seen
        if len(resolved) > RESOLVED_CACHE_MAX:
            resolved.clear()
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
                if url is not None and host_refusal(url, self.hosts):
                    url = _OFFSITE
                resolved[key] = url
            if url is _OFFSITE:
                self.result.offsite_skipped += 1
            elif url is not None and url not in seen:
                self.schedule(url)

    # -- one URL -----------------------------------------------------------------------------------

    async def fetch_page(
        self, url: str, client: httpx.AsyncClient | None = None
    ) -> tuple[PageRecord, Page | None]:
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        prev = self.previous.get(url)
        conditional = self.conditional_headers(prev)
        try:
            reply = await self.follow(url, conditional, client=client)
            if reply.status == 304 and prev is not None and prev.sha256:
                try:
                    body = await asyncio.to_thread(self.store.get, prev.sha256)
                except (ArchiveMissingError, ArchiveCorruptError):  # no usable body: fetch it whole
                    reply = await self.follow(url, {}, client=client)
                else:
                    return self.not_modified(url, fetched_at, reply, prev, body)
        except _Refused as e:
            self.result.robots_blocked += e.robots
            self.result.failed += not e.robots
            return self.page_record(url, fetched_at, started, error=e.reason, robots_blocked=e.robots), None
        except CrawlStopped:
            self.result.failed += 1
            reason = f"not fetched: crawl stopped ({self.result.stopped_reason})"
            return self.page_record(url, fetched_at, started, error=reason), None
        except FetchError as e:
            self.count_failure(e)
            if e.retryable:
                self.transient.add(url)
            return self.page_record(url, fetched_at, started, status=e.status, error=e.reason), None
        self.consecutive_failures = 0  # the seller answered
        return await self.answered(url, fetched_at, reply)

    def conditional_headers(self, prev: PageRecord | None) -> dict[str, str]:
        """If-None-Match / If-Modified-Since, only when the archive holds the body a 304 would reuse."""
        headers: dict[str, str] = {}
        if prev is None or not prev.sha256:
            return headers
        if prev.etag:
            headers["If-None-Match"] = prev.etag
        if prev.last_modified:
            headers["If-Modified-Since"] = prev.last_modified
        return headers

    async def answered(self, url: str, fetched_at: datetime, reply: Reply) -> tuple[PageRecord, Page | None]:
        record = PageRecord(
            url=url,
            status=reply.status,
            fetched_at=fetched_at,
            elapsed_ms=reply.elapsed_ms,
            bytes=len(reply.body),
            content_type=_header(reply, "content-type"),
            etag=_header(reply, "etag"),
            last_modified=_header(reply, "last-modified"),
        )
        if not 200 <= reply.status < 300:
            record.error = f"HTTP {reply.status}"
            self.result.failed += 1
            return record, None
        record.sha256 = await asyncio.to_thread(self.store.put, reply.body)
        self.result.fetched += 1
        self.result.bytes += len(reply.body)
        return record, Page(reply.url, reply.body, record.content_type, reply.status, headers=reply.headers)

    def not_modified(
        self, url: str, fetched_at: datetime, reply: Reply, prev: PageRecord, body: bytes
    ) -> tuple[PageRecord, Page]:
        record = PageRecord(
            url=url,
            status=304,
            fetched_at=fetched_at,
            elapsed_ms=reply.elapsed_ms,
            bytes=len(body),
            sha256=prev.sha256,
            content_type=prev.content_type,
            etag=_header(reply, "etag") or prev.etag,
            last_modified=_header(reply, "last-modified") or prev.last_modified,
            not_modified=True,
        )
        self.result.not_modified += 1
        # The extractors see the archived 2xx body as it was first served (prev may itself be a 304 row).
        status = prev.status if prev.status is not None and 200 <= prev.status < 300 else 200
        return record, Page(reply.url, body, prev.content_type, status, headers=reply.headers)

    def page_record(
        self,
        url: str,
        fetched_at: datetime | None = None,
        started: float | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        robots_blocked: bool = False,
    ) -> PageRecord:
        elapsed_ms = (time.monotonic() - started) * 1000 if started is not None else 0.0
        return PageRecord(
            url=url,
            status=status,
            fetched_at=fetched_at or datetime.now(UTC),
            elapsed_ms=elapsed_ms,
            error=error,
            robots_blocked=robots_blocked,
        )

    def defer(self, url: str, record: PageRecord) -> bool:
        """Hold a transient failure back for a retry round instead of recording it now."""
        if not (self.retrying and url in self.transient):
            return False
        self.transient.discard(url)
        self.result.failed -= 1
        self.deferred.append((url, record))
        return True

    def count_failure(self, error: FetchError) -> None:
        """Circuit breaker: only transient failures that survived every retry count."""
        self.result.failed += 1
        if not error.retryable:
            self.consecutive_failures = 0
            return
        self.consecutive_failures += 1
        if self.consecutive_failures >= self.options.breaker_threshold and not self.stop.is_set():
            self.halt(
                f"circuit breaker: {self.consecutive_failures} consecutive failed requests "
                f"(last: {error.url}: {error.reason})"
            )

    # -- requests, redirects, robots -----------------------------------------------------------------

    async def follow(
        self,
        url: str,
        headers: dict[str, str],
        *,
        robots: bool = True,
        client: httpx.AsyncClient | None = None,
    ) -> Reply:
        """GET `url`, following redirects by hand so every hop passes the host, address and robots checks."""
        target = url
        for hop in range(self.options.max_redirects + 1):
            await self.check(target, redirect=hop > 0, robots=robots, client=client)
            reply = await get_with_retries(
                client or self.client,
                target,
                seller=self.source.slug,
                headers={"User-Agent": self.options.user_agent, **(headers if hop == 0 else {})},
                options=self.options,
                limiter=self.limiter,
                stop=self.stop,
            )
            location = reply.headers.get("location")
            if reply.status not in REDIRECT_STATUSES or not location:
                return reply
            following = normalize_url(urljoin(target, location))
            if following is None:
                raise _Refused(f"redirect refused: not an http(s) URL: {location!r}")
            target = following
        raise _Refused(f"redirect refused: more than {self.options.max_redirects} redirects")

    async def check(
        self, url: str, *, redirect: bool, robots: bool, client: httpx.AsyncClient | None = None
    ) -> None:
        prefix = "redirect refused: " if redirect else "refused: "
        why = host_refusal(url, self.hosts)
        if why is None and not self.source.local:
            why = await self.address_refusal(url)
        if why is not None:
            raise _Refused(f"{prefix}{why} ({url})")
        if robots and not (await self.robots_for(url, client)).can_fetch(url):
            raise _Refused(f"{prefix if redirect else ''}robots.txt disallows {url}", robots=True)

    async def address_refusal(self, url: str) -> str | None:
        host = urlsplit(url).hostname or ""
        if host not in self.address_checks:
            self.address_checks[host] = await address_refusal(url, self.resolver)
        return self.address_checks[host]

    async def robots_for(self, url: str, client: httpx.AsyncClient | None = None) -> RobotsRules:
        """The robots rules of `url`'s origin, fetched once per crawl (paced like any request)."""
        key = origin(url)
        if key in self.robots:
            return self.robots[key]
        async with self.robots_locks.setdefault(key, asyncio.Lock()):
            if key not in self.robots:
                self.robots[key] = rules = await self.fetch_robots(self.robots_url(key), client)
                if self.limiter is not None:
                    self.limiter.slow_to(rules.min_interval_s)
        return self.robots[key]

    def robots_url(self, origin_url: str) -> str:
        """/robots.txt at the origin, unless the source names its own (a shop under a path prefix)."""
        if self.source.robots_url and origin(self.source.base_url) == origin_url:
            return self.source.url(self.source.robots_url)
        return origin_url + "/robots.txt"

    async def fetch_robots(self, url: str, client: httpx.AsyncClient | None = None) -> RobotsRules:
        agent = self.options.robots_agent
        try:
            reply = await self.follow(url, {}, robots=False, client=client)
        except _Refused as e:  # RFC 9309: a robots.txt we may not follow counts as unavailable
            return RobotsRules(agent, allow_all=True, reason=f"robots.txt {e.reason}: allow all")
        except FetchError as e:
            return RobotsRules.from_status(e.status, b"", agent, error=e.reason)
        return RobotsRules.from_status(reply.status, reply.body, agent)

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
                queued=self.frontier.qsize(),
                bytes=r.bytes,
                elapsed_s=time.monotonic() - self.started,
            )
        )
