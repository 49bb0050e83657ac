"""listings: every offer the seller's newest crawl shows, extracted from the archive (no network)."""

from typing import Any

import dagster as dg
import polars as pl

from goodseed_dagster.assets._meta import fill_rates, md_preview, md_table
from goodseed_dagster.assets.partitions import sellers
from goodseed_dagster.db.crawls import (
    archived_pages,
    latest_crawl,
    listings_frame,
    load_source,
    replace_listings,
)
from goodseed_dagster.db.offers import replace_quarantine
from goodseed_dagster.resources.archive import ArchiveResource
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.scraping.models import OFFER_FACTS, Page
from goodseed_dagster.scraping.parse import parse_pages


def extract_crawl(
    pg: Postgres,
    store: ArchiveResource,
    seller: str,
    crawl_id: int | None = None,
    log: dg.DagsterLogManager | None = None,
) -> dict[str, Any]:
    """Rebuild the seller's listings from one archived crawl (default: the newest); returns metadata."""
    with pg.begin() as conn:
        source = load_source(conn, seller)
        if crawl_id is None:
            crawl = latest_crawl(conn, seller)
            if crawl is None:
                raise dg.Failure(f"[{seller}] has no finished crawl yet: materialize raw_pages first")
            crawl_id = int(crawl["id"])  # type: ignore[call-overload]
        pages = archived_pages(conn, crawl_id)
    archive = store.get_store()
    bodies = (
        Page(url=str(p["url"]), body=archive.get(str(p["sha256"])), content_type=p["content_type"])  # type: ignore[arg-type]
        for p in pages
    )
    parsed = parse_pages(bodies, source)
    frame = listings_frame(parsed.offers)
    rejects = pl.DataFrame(
        {"url": [u for u, _ in parsed.errors], "reason": [r for _, r in parsed.errors]},
        schema={"url": pl.String, "reason": pl.String},
    )
    with pg.begin() as conn:
        rows = replace_listings(conn, seller, crawl_id, frame)
        replace_quarantine(conn, seller, crawl_id, "extract", rejects)
    if log is not None:
        for url, reason in parsed.errors[:20]:
            log.warning(f"[{seller}] cannot parse {url}: {reason}")
    fills = fill_rates(frame, list(OFFER_FACTS))
    # the scorecard per adapter: how many offers each produced and how complete they are
    adapters = (
        frame.group_by("adapter")
        .agg(
            pl.len().alias("offers"),
            *[(1 - pl.col(c).null_count() / pl.len()).round(2).alias(c) for c in OFFER_FACTS],
        )
        .sort("offers", descending=True)
    )
    return {
        "crawl_id": crawl_id,
        "dagster/row_count": rows,
        "pages_parsed": parsed.pages,
        "pages_unparseable": len(parsed.errors),
        "duplicate_offers_dropped": parsed.duplicates,
        "products": frame["url"].n_unique() if rows else 0,
        **{f"fill_{k}": v for k, v in fills.items()},
        "scorecard": md_table({k: f"{v:.0%}" for k, v in fills.items()}, ("field", "fill rate")),
        "adapters": md_preview(adapters),
        "preview": md_preview(frame.drop("page_url")),
    }


@dg.asset(partitions_def=sellers, group_name="extract", kinds={"parsel", "postgres"}, deps=["raw_pages"])
def listings(context: dg.AssetExecutionContext, pg: Postgres, store: ArchiveResource) -> dg.MaterializeResult:
    """One row per (product, pack) the newest crawl shows, in core.listings, as the page states it; pages that
    cannot be parsed go to core.quarantine (stage extract). Reads the archive only, so it can re-run offline."""
    return dg.MaterializeResult(metadata=extract_crawl(pg, store, context.partition_key, log=context.log))
