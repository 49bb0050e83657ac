"""The crawl status rule and the stats core.crawls stores, on CrawlResult alone (no crawl, no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from goodseed_dagster.db.sources import CRAWL_STATS
from goodseed_dagster.scraping.models import PageRecord
from goodseed_dagster.scraping.results import CrawlResult, CrawlStatus


@pytest.mark.parametrize(
    ("fetched", "not_modified", "failed", "robots_blocked", "partial", "status"),
    [
        (3, 0, 0, 0, False, "ok"),
        (0, 3, 0, 0, False, "ok"),  # 304s answered from the archive are pages we have
        (3, 0, 0, 2, False, "ok"),  # never allowed to see them: not a failure
        (3, 0, 1, 0, False, "partial"),  # a failed page's offers are unknown: retire nothing
        (0, 1, 1, 0, False, "partial"),
        (3, 0, 0, 0, True, "partial"),  # stopped early (circuit breaker, max_pages)
        (0, 0, 0, 0, False, "failed"),  # nothing attempted
        (0, 0, 4, 0, False, "failed"),
        (0, 0, 0, 4, False, "failed"),
        (0, 0, 1, 0, True, "failed"),  # the breaker stopped it before any page came back
    ],
)
def test_status(
    fetched: int, not_modified: int, failed: int, robots_blocked: int, partial: bool, status: CrawlStatus
) -> None:
    result = CrawlResult(
        seller="s",
        fetched=fetched,
        not_modified=not_modified,
        failed=failed,
        robots_blocked=robots_blocked,
        partial=partial,
    )
    assert result.status == status


def test_a_page_whose_links_failed_still_counts_as_fetched() -> None:
    assert CrawlResult(seller="s", fetched=1, links_failed=1).status == "ok"


def test_stats_are_the_crawl_table_columns() -> None:
    page = PageRecord(url="https://shop.example/", status=200, fetched_at=datetime.now(UTC), elapsed_ms=1.0)
    result = CrawlResult(
        seller="s",
        pages=[page, page],
        fetched=1,
        not_modified=2,
        failed=3,
        robots_blocked=4,
        bytes=5,
        links_failed=6,
        duration_s=7.5,
    )
    stats = result.stats()
    assert tuple(stats) == CRAWL_STATS
    assert stats == {
        "pages": 2,
        "fetched": 1,
        "not_modified": 2,
        "failed": 3,
        "robots_blocked": 4,
        "bytes": 5,
        "duration_s": 7.5,
    }
