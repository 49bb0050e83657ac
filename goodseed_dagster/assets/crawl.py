"""raw_pages: a polite crawl of one seller, every body archived, one manifest row per page."""

from typing import Any

import dagster as dg

from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.db.crawls import copy_pages, finish_crawl, load_source, previous_pages, start_crawl
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.scraping.extract import links
from goodseed_dagster.scraping.fetch import CrawlProgress, crawl_sync
from goodseed_dagster.scraping.models import Page


@dg.asset(
    partitions_def=sellers,
    group_name="crawl",
    kinds={"httpx", "postgres"},
    deps=["seller_sources"],
    pool="crawl",
)
def raw_pages(
    context: dg.AssetExecutionContext, pg: Postgres, store: ArchiveResource, http: CrawlerResource
) -> dg.MaterializeResult:
    """One row per fetched URL in core.pages (status, bytes, sha256, elapsed, error) under one core.crawls
    row; bodies gzip-compressed and content-addressed in the archive. A dying seller is stopped by the
    circuit breaker and its crawl marked partial; it never affects other sellers."""
    seller = context.partition_key
    with pg.begin() as conn:
        source = load_source(conn, seller)
        previous = previous_pages(conn, seller)
        crawl_id = start_crawl(conn, seller)

    def progress(p: CrawlProgress) -> None:
        context.log.info(f"[{seller}] {p}")

    def follow(page: Page) -> list[str]:
        return links(page, platform=source.platform, selectors=source.selectors)

    try:
        result = crawl_sync(
            source,
            store=store.get_store(),
            links=follow,
            previous=previous,
            polite=http.polite,
            progress=progress,
        )
    except BaseException as e:  # the manifest must never show a crawl "running" forever
        with pg.begin() as conn:
            finish_crawl(conn, crawl_id, status="failed", stopped_reason=f"{type(e).__name__}: {e}", stats={})
        raise
    ok = result.fetched + result.not_modified
    # a page that could not be fetched leaves its offers unknown: the crawl is partial and retires nothing
    status = "failed" if ok == 0 else ("partial" if result.partial or result.failed else "ok")
    with pg.begin() as conn:
        copy_pages(conn, crawl_id, result.pages)
        finish_crawl(
            conn,
            crawl_id,
            status=status,
            stopped_reason=result.stopped_reason,
            stats={
                "pages": len(result.pages),
                "fetched": result.fetched,
                "not_modified": result.not_modified,
                "failed": result.failed,
                "robots_blocked": result.robots_blocked,
                "bytes": result.bytes,
                "duration_s": result.duration_s,
            },
        )
    metadata: dict[str, Any] = {
        "crawl_id": crawl_id,
        "status": status,
        "dagster/row_count": len(result.pages),
        "pages_fetched": result.fetched,
        "pages_not_modified": result.not_modified,
        "pages_failed": result.failed,
        "pages_robots_blocked": result.robots_blocked,
        "bytes": result.bytes,
        "duration_s": round(result.duration_s, 2),
        "pages_per_s": round(result.pages_per_s, 1),
        "links_failed": result.links_failed,
        "stopped_reason": result.stopped_reason or "",
        "archive": store.location,
    }
    if status == "failed":
        raise dg.Failure(
            f"[{seller}] crawl {crawl_id} fetched nothing: {result.stopped_reason or 'all pages failed'}",
            metadata=metadata,
            allow_retries=True,
        )
    return dg.MaterializeResult(metadata=metadata)
