"""raw_pages: a polite crawl of one seller, every body archived, one manifest row per page."""

from typing import Any

import dagster as dg

from goodseed_dagster.assets._meta import stage_errors
from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.automation import CRAWL_RETRY
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.scraping.results import CrawlProgress
from goodseed_dagster.stages.crawl import crawl_seller


@dg.asset(
    partitions_def=sellers,
    group_name="crawl",
    kinds={"httpx", "postgres"},
    deps=["seller_sources"],
    pool="crawl",
    retry_policy=CRAWL_RETRY,
)
def raw_pages(
    context: dg.AssetExecutionContext, pg: Postgres, store: ArchiveResource, http: CrawlerResource
) -> dg.MaterializeResult:
    """One row per fetched URL in core.pages (status, bytes, sha256, elapsed, error) under one core.crawls
    row; bodies gzip-compressed and content-addressed in the archive. A dying seller is stopped by the
    circuit breaker and its crawl marked partial; it never affects other sellers."""
    seller = context.partition_key

    def progress(p: CrawlProgress) -> None:
        context.log.info(f"[{seller}] {p}")

    with stage_errors():
        out = crawl_seller(
            pg.engine,
            store.get_store(),
            seller,
            polite=http.polite,
            progress=progress,
            options=http.crawl_options(),
            budget_s=http.page_budget_s,
        )
    result = out.result
    metadata: dict[str, Any] = {
        "crawl_id": out.crawl_id,
        "status": result.status,
        "dagster/row_count": len(result.pages),
        "pages_fetched": result.fetched,
        "pages_not_modified": result.not_modified,
        "pages_failed": result.failed,
        "pages_robots_blocked": result.robots_blocked,
        "bytes": result.bytes,
        "duration_s": round(result.duration_s, 2),
        "pages_per_s": round(result.pages_per_s, 1),
        "links_failed": result.links_failed,
        "abandoned_crawls_closed": out.abandoned,
        "stopped_reason": result.stopped_reason or "",
        "robots": result.robots,
        "archive": store.location,
    }
    if result.status == "failed":
        raise dg.Failure(
            f"[{seller}] crawl {out.crawl_id} fetched nothing: {result.stopped_reason or 'all pages failed'}",
            metadata=metadata,
            allow_retries=True,
        )
    return dg.MaterializeResult(metadata=metadata)
