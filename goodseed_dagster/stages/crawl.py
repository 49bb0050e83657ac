"""raw_pages: one polite crawl of one seller, bodies archived, a manifest row per page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from goodseed_dagster.db.locks import CrawlRunning, crawl_lock
from goodseed_dagster.db.pages import copy_pages, previous_pages
from goodseed_dagster.db.sources import (
    close_abandoned_crawls,
    close_stale_crawls,
    finish_crawl,
    load_source,
    start_crawl,
)
from goodseed_dagster.scraping.archive import ObjectStore
from goodseed_dagster.scraping.extract import PAGE_BUDGET_S, links
from goodseed_dagster.scraping.fetch import CrawlOptions, CrawlProgress, crawl_sync
from goodseed_dagster.scraping.models import Page
from goodseed_dagster.scraping.results import CrawlResult
from goodseed_dagster.stages.errors import CrawlInProgress


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    crawl_id: int
    result: CrawlResult
    abandoned: int  # crawls of this seller a dead process had left `running`, closed as failed


def crawl_seller(
    engine: Engine,
    store: ObjectStore,
    seller: str,
    *,
    polite: bool = True,
    progress: Callable[[CrawlProgress], None] | None = None,
    options: CrawlOptions | None = None,
    budget_s: float = PAGE_BUDGET_S,
) -> CrawlOutcome:
    """Crawl the seller and record the crawl; a crash still closes its core.crawls row as failed. The seller's
    crawl lock is held throughout: a second crawl of the same seller is refused (CrawlInProgress), and the
    crawl rows a dead process left `running` are closed as failed first."""
    try:
        with crawl_lock(engine, seller):
            return _crawl(engine, store, seller, polite, progress, options, budget_s)
    except CrawlRunning as e:
        raise CrawlInProgress(seller) from e


def _crawl(
    engine: Engine,
    store: ObjectStore,
    seller: str,
    polite: bool,
    progress: Callable[[CrawlProgress], None] | None,
    options: CrawlOptions | None,
    budget_s: float,
) -> CrawlOutcome:
    with engine.begin() as conn:
        source = load_source(conn, seller)
        previous = previous_pages(conn, seller)
        abandoned = close_abandoned_crawls(conn, seller)
        crawl_id = start_crawl(conn, seller)

    def follow(page: Page) -> list[str]:
        return links(page, platform=source.platform, selectors=source.selectors, budget_s=budget_s)

    try:
        result = crawl_sync(
            source,
            store=store,
            links=follow,
            previous=previous,
            polite=polite,
            progress=progress,
            options=options,
        )
    except BaseException as e:  # the manifest must never show a crawl "running" forever
        with engine.begin() as conn:
            finish_crawl(conn, crawl_id, status="failed", stopped_reason=f"{type(e).__name__}: {e}", stats={})
        raise
    with engine.begin() as conn:
        copy_pages(conn, crawl_id, result.pages)
        finish_crawl(
            conn, crawl_id, status=result.status, stopped_reason=result.stopped_reason, stats=result.stats()
        )
    return CrawlOutcome(crawl_id=crawl_id, result=result, abandoned=abandoned)


def close_stale(engine: Engine, older_than: timedelta = timedelta(hours=6)) -> int:
    """For the cleanup schedule: close as failed the crawls `running` for longer than `older_than` that no
    live process is running (their seller's crawl lock is free). Returns how many were closed."""
    with engine.begin() as conn:
        return close_stale_crawls(conn, older_than)
