"""Limits no seller can stretch: robots.txt spacing is capped, and every crawl has a deadline.

All on virtual time (FakeClock): the figures are the crawler's own schedule, never the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_clock import FakeClock
from http_server import Reply, Site, html, links_of, sequence, serve

from goodseed_dagster.scraping.archive import LocalObjectStore
from goodseed_dagster.scraping.fetch import CrawlResult, crawl_sync
from goodseed_dagster.scraping.models import SourceConfig
from goodseed_dagster.scraping.options import CrawlOptions

PAGES = [f"/p{i}" for i in range(8)]


@pytest.fixture
def site(clock: FakeClock) -> Iterator[Site]:
    with serve(clock.now) as s:
        s.route("/", html(*PAGES))
        for path in PAGES:
            s.route(path, html(text=path))
        yield s


def run(site: Site, tmp_path: Path, clock: FakeClock, polite: bool = True, **options: Any) -> CrawlResult:
    source = SourceConfig(
        slug="slow", name="Slow shop", base_url=site.url("/"), requests_per_minute=6000.0, local=True
    )
    return crawl_sync(
        source,
        store=LocalObjectStore(tmp_path),
        links=links_of,
        polite=polite,
        options=CrawlOptions(clock=clock, **options),
    )


@pytest.mark.parametrize(
    ("robots", "asked"),
    [("Crawl-delay: 86400", "86400"), ("Request-rate: 1/1d", "86400"), ("Crawl-delay: 1e300", "1e+300")],
)
def test_a_huge_crawl_delay_is_capped_and_noted(
    site: Site, tmp_path: Path, clock: FakeClock, robots: str, asked: str
) -> None:
    site.route("/robots.txt", Reply(body=f"User-agent: *\n{robots}\n".encode()))
    result = run(site, tmp_path, clock, max_crawl_delay_s=30.0)
    assert result.status == "ok" and result.fetched == 1 + len(PAGES)
    # robots.txt at once, then every page 30 s after the last (the cap), not a day apart
    assert sorted(clock.wakes) == pytest.approx([30.0 * i for i in range(2 + len(PAGES))])
    assert result.robots == f"robots.txt; {site.url('')} asks {asked} s between requests, capped at 30 s"


def test_a_crawl_delay_under_the_cap_is_honoured_as_asked(
    site: Site, tmp_path: Path, clock: FakeClock
) -> None:
    site.route("/robots.txt", Reply(body=b"User-agent: *\nCrawl-delay: 45\n"))
    result = run(site, tmp_path, clock)  # the default cap: 60 s
    assert sorted(clock.wakes)[:3] == pytest.approx([0.0, 45.0, 90.0])
    assert result.robots == "robots.txt"


def test_the_deadline_stops_a_crawl_as_partial(site: Site, tmp_path: Path, clock: FakeClock) -> None:
    site.route("/robots.txt", Reply(body=b"User-agent: *\nCrawl-delay: 60\n"))
    result = run(site, tmp_path, clock, deadline_s=200.0)
    # robots.txt at 0, pages at 60, 120 and 180; the next slot (240) is past the deadline: not sent
    assert sorted(clock.wakes) == pytest.approx([0.0, 60.0, 120.0, 180.0]) and len(site.hits) == 4
    assert result.partial and result.status == "partial"
    assert result.stopped_reason == "deadline (200 s) reached"
    assert result.fetched == 3 and clock.now() < 200.0
    stopped = [r for r in result.pages if r.error is not None]
    assert stopped and all(
        r.error == "not fetched: crawl stopped (deadline (200 s) reached)" for r in stopped
    )


def test_the_deadline_cuts_a_long_retry_after_short(site: Site, tmp_path: Path, clock: FakeClock) -> None:
    site.route("/robots.txt", Reply(404))
    site.route("/", sequence(Reply(503, headers={"Retry-After": "100"})))
    result = run(site, tmp_path, clock, deadline_s=150.0)
    # the first try, a retry 100 s later; the next wait would end past 150 s: the crawl stops instead
    assert [h.t for h in site.hits_for("/")] == pytest.approx([0.0, 100.0], abs=0.1)
    assert result.stopped_reason == "deadline (150 s) reached" and result.status == "failed"
    assert clock.now() < 150.0


def test_the_deadline_holds_while_robots_txt_is_retried(site: Site, tmp_path: Path, clock: FakeClock) -> None:
    site.route("/robots.txt", Reply(503, headers={"Retry-After": "100"}))
    result = run(site, tmp_path, clock, deadline_s=150.0)
    assert result.stopped_reason == "deadline (150 s) reached"
    assert result.pages == [] and site.paths() == ["/robots.txt", "/robots.txt"]


class TickingClock(FakeClock):
    """Every look at the clock costs one second: time passes even when no one sleeps (polite=False)."""

    def now(self) -> float:
        self.t += 1.0
        return self.t - 1.0


def test_an_impolite_crawl_has_a_deadline_too(site: Site, tmp_path: Path) -> None:
    site.route("/robots.txt", Reply(404))
    clock = TickingClock()
    result = run(site, tmp_path, clock, polite=False, deadline_s=5.0)
    assert result.stopped_reason == "deadline (5 s) reached"
    assert 0 < result.fetched < 1 + len(PAGES) and clock.slept == []


@pytest.mark.parametrize("option", ["max_crawl_delay_s", "deadline_s"])
def test_limits_must_be_positive(option: str) -> None:
    kwargs: dict[str, Any] = {option: 0.0}
    with pytest.raises(ValueError, match="must be positive"):
        CrawlOptions(**kwargs)
