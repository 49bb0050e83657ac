"""The crawler against a real local HTTP server: BFS, robots.txt, pacing, archive, conditional GET."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fake_clock import FakeClock
from http_server import Hit, Reply, Site, html, links_of, serve

from goodseed_dagster.scraping.archive import LocalObjectStore, object_key
from goodseed_dagster.scraping.fetch import CrawlProgress, crawl, crawl_sync
from goodseed_dagster.scraping.models import Page, PageRecord, SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions

ROBOTS = "User-agent: *\nDisallow: /private/\nCrawl-delay: {delay}\n"


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "archive")


def source_for(site: Site, **kw: Any) -> SourceConfig:
    settings: dict[str, Any] = {"requests_per_minute": 6000.0, "concurrency": 2, "local": True}
    return SourceConfig(slug="testshop", name="Test shop", base_url=site.url("/"), **(settings | kw))


def shop(site: Site, crawl_delay: float = 0.0) -> None:
    """An index, two products sharing a body, a fragment link, a disallowed page, an offsite link."""
    site.route("/robots.txt", Reply(body=ROBOTS.format(delay=crawl_delay).encode()))
    site.route(
        "/", html("/a", "/b", "/a#reviews", "/private/secret", "http://elsewhere.test/x", "mailto:x@y.z")
    )
    site.route("/a", html("/same1", "/", text="A"))
    site.route("/b", html("/same2", text="B"))
    same = html(text="identical product page")
    site.route("/same1", same)
    site.route("/same2", same)
    site.route("/private/secret", html(text="never fetched"))


def by_path(result: Any, site: Site) -> dict[str, Any]:
    return {r.url.removeprefix(site.url("")): r for r in result.pages}


def test_bfs_dedupes_archives_once_and_obeys_robots(site: Site, store: LocalObjectStore) -> None:
    shop(site)
    seen: list[CrawlProgress] = []
    result = crawl_sync(
        source_for(site),
        store=store,
        links=links_of,
        progress=seen.append,
        options=CrawlOptions(progress_every=2),
    )
    pages = by_path(result, site)
    assert set(pages) == {"/", "/a", "/b", "/same1", "/same2", "/private/secret"}
    assert not result.partial and result.stopped_reason is None
    assert (result.fetched, result.failed, result.robots_blocked) == (5, 0, 1)
    assert result.offsite_skipped == 1
    assert sorted(site.paths()) == ["/", "/a", "/b", "/robots.txt", "/same1", "/same2"]  # once each

    blocked = pages["/private/secret"]
    assert (
        blocked.robots_blocked and blocked.sha256 is None and "robots.txt disallows" in (blocked.error or "")
    )

    ok = pages["/a"]
    assert ok.status == 200 and ok.error is None and ok.content_type == "text/html"
    assert ok.bytes > 0 and ok.elapsed_ms > 0 and ok.fetched_at.tzinfo is not None
    assert store.get(ok.sha256 or "") == site.routes["/a"](site.hits[0]).body

    assert pages["/same1"].sha256 == pages["/same2"].sha256
    archived = sorted(p.name for p in (store.root / "pages").rglob("*.gz"))
    assert len(archived) == 4  # five bodies, two identical
    assert (store.root / object_key(pages["/same1"].sha256 or "")).is_file()

    assert all(h.headers["user-agent"].startswith("GoodSeedBot/") for h in site.hits)
    assert "+https://goodseed.example/bot" in site.hits[0].headers["user-agent"]
    assert len(seen) >= 3 and seen[-1].attempted == 6 and seen[-1].fetched == 5


@pytest.mark.parametrize(
    ("rpm", "crawl_delay", "spacing"),
    [(600.0, 0.25, 0.25), (200.0, 0.05, 0.3)],  # the rate says 0.1 s / 0.3 s, Crawl-delay 0.25 s / 0.05 s
)
def test_spacing_is_the_max_of_crawl_delay_and_rate(
    store: LocalObjectStore, rpm: float, crawl_delay: float, spacing: float
) -> None:
    clock = FakeClock()
    with serve() as site:
        shop(site, crawl_delay=crawl_delay)
        options = CrawlOptions(clock=clock)
        result = crawl_sync(
            source_for(site, requests_per_minute=rpm), store=store, links=links_of, options=options
        )
    assert result.fetched == 5 and len(site.hits) == 6
    # the instants the bucket let each request go: robots.txt at once, then the five pages one
    # `spacing` apart, although two workers share the bucket
    assert sorted(clock.wakes) == pytest.approx([i * spacing for i in range(6)])


def test_impolite_skips_pacing_but_not_disallow(site: Site, store: LocalObjectStore) -> None:
    shop(site, crawl_delay=5)
    clock = FakeClock()
    options = CrawlOptions(clock=clock)
    result = crawl_sync(
        source_for(site, requests_per_minute=1.0), store=store, links=links_of, polite=False, options=options
    )
    assert clock.slept == [] and clock.now() == 0.0  # neither the rate nor Crawl-delay made anyone wait
    assert result.fetched == 5 and result.robots_blocked == 1
    assert "/private/secret" not in site.paths()


def test_conditional_get_reuses_the_archived_body(site: Site, store: LocalObjectStore) -> None:
    site.route("/robots.txt", Reply(404))
    page = html("/child", text="v1")

    def etagged(hit: Hit) -> Reply:
        if hit.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, page.body, {"ETag": '"v1"', "Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT"})

    site.route("/", etagged)
    site.route("/child", html(text="child"))
    source = source_for(site)

    first = crawl_sync(source, store=store, links=links_of)
    assert first.robots.startswith("robots.txt HTTP 404")
    root = by_path(first, site)["/"]
    assert root.etag == '"v1"' and root.sha256 and not root.not_modified

    previous = {r.url: r for r in first.pages}
    second = crawl_sync(source, store=store, links=links_of, previous=previous)
    again = by_path(second, site)
    assert again["/"].not_modified and again["/"].status == 304
    assert again["/"].sha256 == root.sha256 and again["/"].bytes == root.bytes
    assert "/child" in again  # links came from the archived body
    assert (second.fetched, second.not_modified) == (1, 1)
    last_root_hit = site.hits_for("/")[-1]
    assert last_root_hit.headers["if-none-match"] == '"v1"'
    assert last_root_hit.headers["if-modified-since"] == "Wed, 25 Nov 2026 10:00:00 GMT"


def test_links_failure_is_recorded_and_the_crawl_goes_on(site: Site, store: LocalObjectStore) -> None:
    shop(site)

    def picky(page: Page) -> list[str]:
        if page.url.endswith("/a"):
            raise ValueError("malformed markup")
        return links_of(page)

    result = crawl_sync(source_for(site), store=store, links=picky)
    pages = by_path(result, site)
    assert pages["/a"].sha256 and pages["/a"].error == "links failed: ValueError: malformed markup"
    assert result.links_failed == 1
    assert {"/b", "/same2"} <= set(pages)


def test_max_pages_bounds_the_crawl_and_marks_it_partial(site: Site, store: LocalObjectStore) -> None:
    site.route("/robots.txt", Reply(404))
    site.route("/", html(*[f"/p{i}" for i in range(10)]))
    for i in range(10):
        site.route(f"/p{i}", html(text=str(i)))
    result = crawl_sync(source_for(site, max_pages=4), store=store, links=links_of)
    assert len(result.pages) == 4 and result.partial
    assert result.stopped_reason == "max_pages (4) reached"


def test_unreachable_robots_means_disallow_all(site: Site, store: LocalObjectStore) -> None:
    site.route("/robots.txt", Reply(503))
    site.route("/", html(text="home"))
    result = crawl_sync(source_for(site), store=store, links=links_of, options=CrawlOptions(max_attempts=1))
    assert result.partial and "robots.txt unreachable (HTTP 503)" in (result.stopped_reason or "")
    assert result.pages == [] and site.paths() == ["/robots.txt"]


def test_offsite_entry_point_is_refused_without_a_request(site: Site, store: LocalObjectStore) -> None:
    shop(site)
    source = source_for(site, entry_points=["http://elsewhere.test/", "/b"])
    result = asyncio.run(crawl(source, store=store, links=links_of))
    pages = {r.url: r for r in result.pages}
    refused = pages["http://elsewhere.test/"]
    assert refused.error and refused.error.startswith(
        "refused: host 'elsewhere.test' not in the seller's hosts"
    )
    assert site.url("/b") in pages and result.failed == 1


def test_304_without_the_archived_body_refetches_whole(site: Site, store: LocalObjectStore) -> None:
    site.route("/robots.txt", Reply(404))
    body = html(text="v2").body

    def etagged(hit: Hit) -> Reply:
        if hit.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, body, {"ETag": '"v2"'})

    site.route("/", etagged)
    lost = PageRecord(site.url("/"), 200, datetime.now(UTC), 1.0, sha256="0" * 64, etag='"v1"')
    result = crawl_sync(source_for(site), store=store, links=links_of, previous={lost.url: lost})
    record = by_path(result, site)["/"]
    assert record.status == 200 and not record.not_modified and record.etag == '"v2"'
    assert store.get(record.sha256 or "") == body
    assert [h.headers.get("if-none-match") for h in site.hits_for("/")] == ['"v1"', None]


def test_links_can_run_in_a_process_pool(site: Site, store: LocalObjectStore) -> None:
    shop(site)
    with ProcessPoolExecutor(max_workers=1) as pool:
        options = CrawlOptions(parse_executor=pool)
        result = crawl_sync(source_for(site), store=store, links=links_of, options=options)
    assert result.fetched == 5 and result.links_failed == 0
