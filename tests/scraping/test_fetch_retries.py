"""Retries (5xx, 429 Retry-After, timeouts, truncated bodies), size caps and the circuit breaker."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_clock import FakeClock
from http_server import Reply, Site, html, links_of, sequence, serve

from goodseed_dagster.scraping.archive import LocalObjectStore
from goodseed_dagster.scraping.fetch import CrawlResult, crawl_sync
from goodseed_dagster.scraping.models import PageRecord, SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.ratelimit import TokenBucket
from goodseed_dagster.scraping.request import get_with_retries


@pytest.fixture
def site(clock: FakeClock) -> Iterator[Site]:
    with serve(clock.now) as s:
        s.route("/robots.txt", Reply(404))
        yield s


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path)


def run(
    site: Site,
    store: LocalObjectStore,
    clock: FakeClock,
    *paths: str,
    options: CrawlOptions | None = None,
    **kw: Any,
) -> CrawlResult:
    """Crawl `paths` on the virtual clock."""
    source = SourceConfig(
        slug="flaky",
        name="Flaky shop",
        base_url=site.url("/"),
        entry_points=list(paths),
        requests_per_minute=6000.0,
        local=True,
        **kw,
    )
    options = replace(options or CrawlOptions(), clock=clock)
    return crawl_sync(source, store=store, links=links_of, options=options)


def page(result: CrawlResult, site: Site, path: str) -> PageRecord:
    return next(r for r in result.pages if r.url == site.url(path))


def test_500_twice_then_200_succeeds(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    site.route("/flaky", sequence(Reply(500), Reply(502), html(text="finally")))
    result = run(site, store, clock, "/flaky")
    record = page(result, site, "/flaky")
    assert record.status == 200 and record.error is None and record.sha256
    assert len(site.hits_for("/flaky")) == 3
    assert b"finally" in store.get(record.sha256)


def test_retries_are_bounded(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    site.route("/down", Reply(503, b"<h1>maintenance</h1>"))
    result = run(site, store, clock, "/down", options=CrawlOptions(max_attempts=3, retry_rounds=1))
    record = page(result, site, "/down")
    assert record.status == 503 and record.sha256 is None  # error pages are not archived
    assert record.error == "transient server error (gave up after 3 attempts)"
    # one crawl pass plus one retry round, three attempts each; recorded once, failed once
    assert len(site.hits_for("/down")) == 6 and result.failed == 1
    assert [r.url for r in result.pages].count(site.url("/down")) == 1


def test_a_retry_round_recovers_a_page_that_failed_all_its_attempts(
    site: Site, store: LocalObjectStore, clock: FakeClock
) -> None:
    site.route("/", html("/a", "/b"))
    site.route("/a", html(text="a"))
    site.route("/b", sequence(Reply(500), Reply(500), html(text="b at last")))
    result = run(site, store, clock, "/", options=CrawlOptions(max_attempts=2, retry_rounds=2))
    assert page(result, site, "/b").status == 200
    assert result.failed == 0 and result.fetched == 3 and len(result.pages) == 3


def test_404_is_not_retried(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    result = run(site, store, clock, "/missing")
    record = page(result, site, "/missing")
    assert (record.status, record.error, record.sha256) == (404, "HTTP 404", None)
    assert len(site.hits_for("/missing")) == 1


def test_backoff_between_attempts_is_full_jitter_under_a_doubling_capped_ceiling(
    site: Site, store: LocalObjectStore, clock: FakeClock
) -> None:
    site.route("/flaky", sequence(*[Reply(500)] * 9, html(text="finally")))
    options = CrawlOptions(max_attempts=10, backoff_base_s=0.5, backoff_max_s=2.0, retry_rounds=0)
    assert page(run(site, store, clock, "/flaky", options=options), site, "/flaky").status == 200
    hits = site.hits_for("/flaky")
    waits = [b.t - a.t for a, b in itertools.pairwise(hits)]
    assert len(waits) == 9
    # wait before attempt n+1: uniform(0, min(2.0, 0.5 * 2**(n-1))), or the bucket's 0.01 s if longer
    ceilings = [min(2.0, 0.5 * 2 ** (n - 1)) + 0.01 for n in range(1, 10)]
    assert all(w <= c + 1e-9 for w, c in zip(waits, ceilings, strict=True)), waits
    assert len({round(w, 9) for w in waits[3:]}) > 1  # jittered, not a fixed 2.0 s


def test_429_retry_after_is_honoured(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    site.route("/busy", sequence(Reply(429, headers={"Retry-After": "7"}), html(text="ok")))
    result = run(site, store, clock, "/busy")
    assert page(result, site, "/busy").status == 200
    first, second = site.hits_for("/busy")
    assert second.t - first.t == pytest.approx(7.0)  # what the seller asked, no backoff on top


class _HeldAtRetryAfter(FakeClock):
    """Holds the worker that sleeps a Retry-After until the test lets it go."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds, self.holding, self.go = seconds, asyncio.Event(), asyncio.Event()

    async def sleep(self, seconds: float, stop: asyncio.Event | None = None) -> bool:
        if seconds == self.seconds:
            self.holding.set()
            await self.go.wait()
        return await super().sleep(seconds, stop)


def test_retry_after_holds_every_worker_of_the_seller() -> None:
    """A Retry-After speaks for the host: a token asked for meanwhile comes after it, not before."""
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="ok")])

    async def scenario() -> tuple[int, float]:
        clock = _HeldAtRetryAfter(7.0)
        limiter = TokenBucket(0.01, clock=clock)
        transport = httpx.MockTransport(lambda request: next(answers))
        async with httpx.AsyncClient(transport=transport) as client:
            busy = asyncio.create_task(
                get_with_retries(client, "http://shop.test/busy", seller="shop", headers={},
                                 options=CrawlOptions(clock=clock), limiter=limiter, stop=asyncio.Event())
            )  # fmt: skip
            await clock.holding.wait()  # the 429 is in and its worker waits
            other_worker_at = clock.now() + limiter.reserve()
            clock.go.set()
            return (await busy).status, other_worker_at

    status, other_worker_at = asyncio.run(scenario())
    assert status == 200 and other_worker_at >= 7.0


def test_retry_after_is_capped(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    site.route("/busy", sequence(Reply(503, headers={"Retry-After": "86400"}), html(text="ok")))
    result = run(site, store, clock, "/busy", options=CrawlOptions(retry_after_max_s=120.0))
    assert page(result, site, "/busy").status == 200
    first, second = site.hits_for("/busy")
    assert second.t - first.t == pytest.approx(120.0)


def test_timeout_is_retried(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    site.route("/slow", sequence(Reply(200, b"late", delay_s=1.5), html(text="quick")))
    site.route("/stuck", Reply(200, b"late", delay_s=1.5))
    options = CrawlOptions(max_attempts=2, timeout_s=0.3, retry_rounds=0)  # timeouts are real time
    result = run(site, store, clock, "/slow", "/stuck", options=options)
    assert page(result, site, "/slow").status == 200
    assert len(site.hits_for("/slow")) == 2
    stuck = page(result, site, "/stuck")
    assert stuck.status is None and stuck.error == "timeout after 0.3s (gave up after 2 attempts)"


def test_truncated_body_is_retried(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    full = html(text="x" * 5000)
    site.route("/cut", sequence(Reply(200, full.body, truncate_to=100), full))
    result = run(site, store, clock, "/cut")
    record = page(result, site, "/cut")
    assert record.status == 200 and record.bytes == len(full.body)
    assert store.get(record.sha256 or "") == full.body
    assert len(site.hits_for("/cut")) == 2


def test_huge_bodies_are_aborted_not_retried(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    big = b"<html>" + b"x" * (1024 * 1024)
    site.route("/declared", Reply(200, big))
    site.route("/streamed", Reply(200, big, stream=True))  # no Content-Length: the cap trips mid-stream
    options = CrawlOptions(max_body_bytes=64 * 1024)
    result = run(site, store, clock, "/declared", "/streamed", options=options)
    declared, streamed = page(result, site, "/declared"), page(result, site, "/streamed")
    assert declared.error == f"Content-Length {len(big)} exceeds 65536 bytes"
    assert streamed.error == "body exceeds 65536 bytes"
    assert declared.sha256 is None and streamed.sha256 is None
    assert len(site.hits_for("/declared")) == len(site.hits_for("/streamed")) == 1
    assert not list(store.root.rglob("*.gz"))


def test_circuit_breaker_stops_the_crawl(site: Site, store: LocalObjectStore, clock: FakeClock) -> None:
    site.route("/", html(*[f"/broken/{i}" for i in range(20)]))
    for i in range(20):
        site.route(f"/broken/{i}", Reply(500))
    options = CrawlOptions(max_attempts=2, breaker_threshold=3)
    result = run(site, store, clock, "/", options=options, concurrency=1)
    assert result.partial
    assert (result.stopped_reason or "").startswith("circuit breaker: 3 consecutive failed requests")
    assert len(result.pages) == 4 and result.failed == 3  # the index, then three failures
    assert sum(p.startswith("/broken/") for p in site.paths()) == 3 * 2


def test_breaker_counts_only_consecutive_failures(
    site: Site, store: LocalObjectStore, clock: FakeClock
) -> None:
    hrefs = [f"/p{i}" for i in range(8)]
    site.route("/", html(*hrefs))
    for i, href in enumerate(hrefs):
        site.route(href, Reply(500) if i % 2 else html(text=href))  # every other page fails
    options = CrawlOptions(max_attempts=1, breaker_threshold=2, retry_rounds=0)
    result = run(site, store, clock, "/", options=options, concurrency=1)
    assert not result.partial and result.failed == 4 and result.fetched == 5
